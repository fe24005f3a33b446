package dynamo_test

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestNoScanInRequestPaths fails when code that serves requests (functions/
// and internal/, tests aside) calls Scan: every list is a Query. The test
// support package dynamotest may (it reads whole test tables), so no code
// but tests may import it.
func TestNoScanInRequestPaths(t *testing.T) {
	scan := regexp.MustCompile(`\.Scan\(|ScanInput|NewScanPaginator`)
	found := 0
	for _, root := range []string{"../../functions", "../../internal"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			found++
			support := strings.Contains(path, "dynamotest")
			for i, line := range strings.Split(string(b), "\n") {
				if scan.MatchString(line) && !strings.Contains(path, "meter.go") && !support {
					t.Errorf("%s:%d calls Scan: %s", path, i+1, strings.TrimSpace(line))
				}
				if strings.Contains(line, `/dynamotest"`) && !support {
					t.Errorf("%s:%d imports the test support package dynamotest", path, i+1)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if found < 20 {
		t.Fatalf("only %d Go files checked; wrong root?", found)
	}
}
