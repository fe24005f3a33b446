package tests

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/omnichannel/contacts/infra/local/stack"
)

// TestTemplateRules checks template.yaml for what a deploy needs and what
// reviews keep forgetting: every function's code and sample event exist,
// every SQS mapping reports partial failures and has a DLQ and a visibility
// timeout of at least 6 × the function's timeout, and no policy grants "*".
func TestTemplateRules(t *testing.T) {
	root := repoRoot(t)
	st, err := stack.Load(filepath.Join(root, "template.yaml"), stack.Options{})
	if err != nil {
		t.Fatal(err)
	}
	queues := map[string]stack.Queue{}
	for _, q := range st.Queues {
		queues[q.LogicalID] = q
	}
	if len(st.Functions) < 4 {
		t.Fatalf("only %d functions in the template", len(st.Functions))
	}
	for _, fn := range st.Functions {
		if _, err := os.Stat(filepath.Join(root, fn.Package, "main.go")); err != nil {
			t.Errorf("%s: no %s/main.go", fn.LogicalID, fn.Package)
		}
		sample := filepath.Join(root, "events", strings.ToLower(strings.TrimSuffix(fn.LogicalID, "Function"))+".json")
		if _, err := os.Stat(sample); err != nil {
			t.Errorf("%s: no sample event %s", fn.LogicalID, sample)
		}
		for _, e := range fn.SQS {
			q := queues[e.Queue]
			if !e.ReportBatchItemFailures {
				t.Errorf("%s ← %s: FunctionResponseTypes lacks ReportBatchItemFailures", fn.LogicalID, e.Queue)
			}
			if q.DeadLetterTarget == "" || q.MaxReceiveCount == 0 {
				t.Errorf("%s: queue %s has no DLQ", fn.LogicalID, e.Queue)
			}
			if q.VisibilityTimeout < 6*int(fn.Timeout.Seconds()) {
				t.Errorf("%s: queue %s visibility timeout %ds < 6 × the function's %v", fn.LogicalID, e.Queue, q.VisibilityTimeout, fn.Timeout)
			}
		}
	}
	for _, v := range policyValues(t, filepath.Join(root, "template.yaml")) {
		if strings.Contains(v, "*") {
			t.Errorf("a policy grants %q: name the actions and resources", v)
		}
	}
}

// policyValues returns every Action and Resource string of the functions'
// policy statements (intrinsics such as !GetAtt appear as their arguments).
func policyValues(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var out []string
	var walk func(n *yaml.Node, inPolicy bool)
	walk = func(n *yaml.Node, inPolicy bool) {
		switch n.Kind {
		case yaml.DocumentNode, yaml.SequenceNode:
			for _, c := range n.Content {
				walk(c, inPolicy)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				k, v := n.Content[i].Value, n.Content[i+1]
				if inPolicy && (k == "Action" || k == "Resource") {
					var vals []string
					if v.Kind == yaml.ScalarNode {
						vals = []string{v.Value}
					}
					for _, c := range v.Content {
						vals = append(vals, c.Value)
					}
					out = append(out, vals...)
				}
				walk(v, inPolicy || k == "Policies")
			}
		}
	}
	walk(&doc, false)
	if len(out) < 8 {
		t.Fatalf("found only %d policy values; is the walk right?", len(out))
	}
	return out
}
