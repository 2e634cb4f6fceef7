package action

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apaykit/apaykit/amazonpay"
)

// TestDocsHaveAValidExamplePerAction: docs/actions.md has a section for
// every action, and each section's document passes every check and
// reaches its operation.
func TestDocsHaveAValidExamplePerAction(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "docs", "actions.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples := map[string]string{}
	for _, sec := range strings.Split(string(b), "\n#### ")[1:] {
		name, rest, _ := strings.Cut(sec, "\n")
		_, block, ok := strings.Cut(rest, "```json\n")
		if !ok {
			t.Errorf("section %s has no json example", name)
			continue
		}
		doc, _, _ := strings.Cut(block, "```")
		examples[strings.TrimSpace(name)] = doc
	}
	fake := &fakeAmazon{status: 200, body: `{}`}
	r := newFakeRunner(t, fake)
	for _, op := range amazonpay.Operations() {
		doc, ok := examples[op.Name]
		if !ok {
			t.Errorf("docs/actions.md has no example for %s", op.Name)
			continue
		}
		before := fake.hits.Load()
		res := r.Run(t.Context(), []byte(doc))
		if res.Action != op.Name || res.Status != 200 || fake.hits.Load() != before+1 {
			t.Errorf("%s example: %d %s", op.Name, res.Status, res.Body)
			continue
		}
		if req, _ := fake.request(); req.Method != op.Method {
			t.Errorf("%s example sent %s", op.Name, req.Method)
		}
	}
}
