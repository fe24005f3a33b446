// Command dev runs the whole service locally (`make dev`): DynamoDB Local,
// moto, every function and the HTTP API, all from template.yaml. Ctrl-C
// stops everything it started.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/omnichannel/contacts/infra/local/platform"
)

func main() {
	var opt platform.Options
	flag.StringVar(&opt.APIAddr, "addr", "127.0.0.1:3000", "address of the HTTP API")
	flag.StringVar(&opt.Template, "template", "", "template to run (default: template.yaml at the repository root)")
	flag.BoolVar(&opt.InMemory, "in-memory", false, "keep no DynamoDB data on disk")
	flag.Parse()
	os.Exit(run(opt))
}

func run(opt platform.Options) int {
	start := time.Now()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := platform.Start(ctx, opt)
	if err != nil {
		fmt.Fprintf(os.Stderr, "make dev: %v\n", err)
		return 1
	}
	defer func() {
		fmt.Println("\n==> stopping")
		if err := p.Close(); err != nil {
			fmt.Fprintf(os.Stderr, "stop: %v\n", err)
		}
		fmt.Println("    stopped everything")
	}()
	envFile := filepath.Join(p.StateDir(), "endpoints.env")
	if err := os.WriteFile(envFile, []byte(p.EndpointsEnv()), 0o644); err != nil {
		fmt.Fprintf(os.Stderr, "make dev: %v\n", err)
		return 1
	}
	token, err := p.Token("local-owner", "acme", "owner")
	if err != nil {
		fmt.Fprintf(os.Stderr, "make dev: token: %v\n", err)
		return 1
	}
	fmt.Printf("\nReady in %.1fs.\n\n%s\nAn owner token of workspace \"acme\" (12 h; `make token` prints others):\n\n  export TOKEN=%s\n\n", time.Since(start).Seconds(), p.Endpoints(), token)
	fmt.Printf("Try:\n  curl -s -X POST %s/v1/contacts -H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' \\\n       -d '{\"name\":\"Maria da Silva\",\"phone\":\"(11) 99999-1234\"}'\n", p.APIURL)
	fmt.Printf("  curl -s %s/v1/contacts/<id> -H \"Authorization: Bearer $TOKEN\"\n\n", p.APIURL)
	fmt.Printf("Endpoints, names and local credentials for the AWS CLI: %s\n  (set -a; . %s; set +a; aws events list-rules --event-bus-name $EVENT_BUS_NAME)\n\nCtrl-C stops everything.\n\n", envFile, envFile)
	<-ctx.Done()
	return 0
}
