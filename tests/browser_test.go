package tests

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"
)

const page = `<!doctype html><html><body><script>
(async () => {
  let result;
  try {
    const r = await fetch(%q + "/v1/contacts", {
      method: "POST",
      headers: {"Authorization": "Bearer " + %q, "Content-Type": "application/json", "Accept-Language": "pt-BR"},
      body: JSON.stringify({name: "Navegador", email: "browser@example.com"}),
    });
    const body = await r.json();
    result = {status: r.status, id: body.id, etag: r.headers.get("ETag"), location: r.headers.get("Location")};
  } catch (e) {
    result = {error: String(e)};
  }
  await fetch("/result", {method: "POST", body: JSON.stringify(result)});
})();
</script></body></html>`

// TestBrowserCORS loads a page from another origin in headless Chromium; the
// page calls the API with fetch and a bearer token, which needs the CORS
// preflight and the exposed headers to be right.
func TestBrowserCORS(t *testing.T) {
	api, token := contactsPlatform(t)
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run infra/local/install-prerequisites.sh (apt-get install chromium)")
	}
	results := make(chan map[string]any, 1)
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/result" {
			var v map[string]any
			b, _ := io.ReadAll(r.Body)
			_ = json.Unmarshal(b, &v)
			select {
			case results <- v:
			default:
			}
			return
		}
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, page, api, token)
	}))
	defer site.Close()
	if strings.HasPrefix(site.URL, api) {
		t.Fatal("the page must come from another origin than the API")
	}

	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir="+t.TempDir(), site.URL)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	defer func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		_ = cmd.Wait()
	}()
	select {
	case r := <-results:
		if r["error"] != nil {
			t.Fatalf("fetch from the page failed (CORS?): %v", r["error"])
		}
		if r["status"] != float64(http.StatusCreated) {
			t.Errorf("status seen by the page = %v, want 201", r["status"])
		}
		if r["etag"] != `"1"` || r["location"] != "/v1/contacts/"+fmt.Sprint(r["id"]) {
			t.Errorf("exposed headers seen by the page: ETag %v, Location %v", r["etag"], r["location"])
		}
	case <-ctx.Done():
		t.Fatal("the page never reported its result")
	}
}
