package errs

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// codeUse finds the codes the service passes to E and Field.
var codeUse = regexp.MustCompile(`errs\.(?:E\([A-Za-z.]+, |Field\([^,()]+, )"([a-z_]+)"`)

// TestEveryCodeHasMessages: every error code used anywhere in internal/
// has an English and a Portuguese message (else a client would see the
// bare code as the detail).
func TestEveryCodeHasMessages(t *testing.T) {
	seen := 0
	err := filepath.WalkDir("..", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		src, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for _, m := range codeUse.FindAllStringSubmatch(string(src), -1) {
			seen++
			msg, ok := catalog[m[1]]
			if !ok || msg.en == "" || msg.pt == "" {
				t.Errorf("%s: code %q has no message in both languages", path, m[1])
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if seen < 100 {
		t.Fatalf("found only %d code uses; the pattern no longer matches the code", seen)
	}
}
