// Command token prints a JWT that the local HTTP API gateway accepts:
//
//	go run ./infra/local/cmd/token -workspace acme -role owner -sub user-1 [-ttl 12h]
//
// The token is signed with HS256 using LOCAL_JWT_SECRET (default
// "local-dev-secret") and carries the claims sub, workspace_id and role.
package main

import (
	"flag"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/omnichannel/contacts/infra/local/httpgw"
)

var roles = []string{"owner", "manager", "admin", "agent"}

func main() {
	os.Exit(run(os.Args[1:]))
}

func run(args []string) int {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: token [-workspace acme] [-role owner] [-sub local-user] [-ttl 12h] [-iss issuer] [-aud a,b]")
		fs.PrintDefaults()
	}
	workspace := fs.String("workspace", "acme", "workspace_id claim")
	role := fs.String("role", "owner", "role claim: "+strings.Join(roles, ", "))
	sub := fs.String("sub", "local-user", "sub claim (user id)")
	ttl := fs.Duration("ttl", 12*time.Hour, "lifetime of the token")
	iss := fs.String("iss", "", "iss claim, if the gateway checks the issuer")
	aud := fs.String("aud", "", "comma-separated aud claim, if the gateway checks the audience")
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(os.Stderr, "token: unexpected arguments: %s\n", strings.Join(fs.Args(), " "))
		return 2
	}
	if !slices.Contains(roles, *role) {
		fmt.Fprintf(os.Stderr, "token: unknown role %q (want one of %s)\n", *role, strings.Join(roles, ", "))
		return 2
	}
	var audience []string
	if *aud != "" {
		audience = strings.Split(*aud, ",")
	}
	tok, err := httpgw.Token(httpgw.SecretFromEnv(), *sub, *workspace, *role, *ttl, *iss, audience)
	if err != nil {
		fmt.Fprintf(os.Stderr, "token: %v\n", err)
		return 1
	}
	fmt.Println(tok)
	return 0
}
