package amazonpay

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestOperationDirectives parses the package's source and checks that
// every operation of Operations() is implemented by exactly one method
// whose doc comment carries //amazonpay:operation METHOD /path and whose
// body builds its request from that operation by name.
func TestOperationDirectives(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	implementedBy := map[string][]string{}
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			fn, ok := decl.(*ast.FuncDecl)
			if !ok || fn.Doc == nil {
				continue
			}
			method, path, found := directive(fn.Doc)
			if !found {
				continue
			}
			where := fset.Position(fn.Pos()).String() + " " + fn.Name.Name
			ops := callSpecOps(fn.Body)
			if len(ops) != 1 {
				t.Errorf("%s: want exactly one callSpec{op: …}, found %v", where, ops)
				continue
			}
			op, ok := lookupOperation(ops[0])
			if !ok {
				t.Errorf("%s: operation %q is not in Operations()", where, ops[0])
				continue
			}
			if op.Method != method || op.Path != path {
				t.Errorf("%s: directive says %s %s, operation %s is %s %s", where, method, path, op.Name, op.Method, op.Path)
			}
			implementedBy[op.Name] = append(implementedBy[op.Name], where)
		}
	}
	for _, op := range Operations() {
		if got := implementedBy[op.Name]; len(got) != 1 {
			t.Errorf("operation %s: implemented by %d methods %v, want 1", op.Name, len(got), got)
		}
	}
}

func directive(doc *ast.CommentGroup) (method, path string, ok bool) {
	for _, c := range doc.List {
		rest, found := strings.CutPrefix(c.Text, "//amazonpay:operation ")
		if !found {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) != 2 {
			return "", "", false
		}
		return fields[0], fields[1], true
	}
	return "", "", false
}

// callSpecOps finds the op names of callSpec literals in a function body.
func callSpecOps(body *ast.BlockStmt) []string {
	var ops []string
	ast.Inspect(body, func(n ast.Node) bool {
		lit, ok := n.(*ast.CompositeLit)
		if !ok {
			return true
		}
		if id, ok := lit.Type.(*ast.Ident); !ok || id.Name != "callSpec" {
			return true
		}
		for _, elt := range lit.Elts {
			kv, ok := elt.(*ast.KeyValueExpr)
			if !ok {
				continue
			}
			if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "op" {
				if s, ok := kv.Value.(*ast.BasicLit); ok {
					if v, err := strconv.Unquote(s.Value); err == nil {
						ops = append(ops, v)
					}
				}
			}
		}
		return true
	})
	return ops
}

func TestOperationsTable(t *testing.T) {
	ops := Operations()
	if len(ops) != 41 {
		t.Errorf("Operations() has %d entries, want 41", len(ops))
	}
	names := map[string]bool{}
	patterns := map[string]int{}
	for _, op := range ops {
		if names[op.Name] {
			t.Errorf("duplicate name %s", op.Name)
		}
		names[op.Name] = true
		patterns[op.Pattern()]++
		if !strings.HasPrefix(op.Path, "/v2/") {
			t.Errorf("%s: path %s does not start with /v2/", op.Name, op.Path)
		}
	}
	// Only the onboarding/account-management pairs share a route.
	for p, n := range patterns {
		if n > 1 && p != "POST /v2/merchantAccounts" && p != "PATCH /v2/merchantAccounts/{merchantAccountId}" {
			t.Errorf("pattern %s used %d times", p, n)
		}
	}
	ops[0].Name = "changed"
	if Operations()[0].Name != "CreateCheckoutSession" {
		t.Error("Operations() exposes its backing array")
	}
	op, _ := lookupOperation("CaptureCharge")
	if got := op.PathParams(); len(got) != 1 || got[0] != "chargeId" {
		t.Errorf("PathParams = %v", got)
	}
	if got := op.expand("C%2F1"); got != "/v2/charges/C%2F1/capture" {
		t.Errorf("expand = %s", got)
	}
}
