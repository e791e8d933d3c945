package e2e_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestCommittedBundlesMatchSources rebuilds the SDK and the dashboard from
// their sources and fails when the committed dist/ differs, so the embedded
// bundles never drift from the code reviewed beside them.
func TestCommittedBundlesMatchSources(t *testing.T) {
	for _, dir := range []string{"../sdk/browser", "../web"} {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(dir, "node_modules")); err != nil {
				if os.Getenv("CI") != "" {
					t.Fatalf("%s/node_modules is missing; run `make test`, which installs it", dir)
				}
				t.Skipf("%s/node_modules is missing: run `make test` (or npm ci there) to check the bundle", dir)
			}
			cmd := exec.Command("node", "build.mjs", "--check")
			cmd.Dir = dir
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("dist/ in %s does not match its sources (run `npm run build` there and commit dist/):\n%s", dir, out)
			}
		})
	}
}
