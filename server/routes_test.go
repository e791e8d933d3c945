package server

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestEveryAPIRouteDeclaresItsNeed: every route under /api/ is in the route
// table with a declared need, and none is registered around it, so none
// escapes authorization.
func TestEveryAPIRouteDeclaresItsNeed(t *testing.T) {
	s := &Server{}
	seen := map[string]bool{}
	for _, rt := range s.apiRoutes() {
		if rt.need.kind == needUndeclared {
			t.Errorf("route %s declares no need", rt.pattern)
		}
		if rt.need.kind == needProject && !rt.need.role.Valid() {
			t.Errorf("route %s is a project route without a role", rt.pattern)
		}
		if seen[rt.pattern] {
			t.Errorf("route %s is in the table twice", rt.pattern)
		}
		seen[rt.pattern] = true
		_, path, _ := strings.Cut(rt.pattern, " ")
		if !strings.HasPrefix(path, "/api/") {
			t.Errorf("route %s in the API table is not under /api/", rt.pattern)
		}
	}

	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok || len(call.Args) == 0 {
				return true
			}
			sel, ok := call.Fun.(*ast.SelectorExpr)
			if !ok || (sel.Sel.Name != "Handle" && sel.Sel.Name != "HandleFunc") {
				return true
			}
			lit, ok := call.Args[0].(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			pattern, _ := strconv.Unquote(lit.Value)
			if strings.Contains(pattern, "/api/") && pattern != "/api/" {
				t.Errorf("%s: %s is registered outside the route table (apiRoutes), so it declares no role: add it there",
					fset.Position(lit.Pos()), pattern)
			}
			return true
		})
	}
}
