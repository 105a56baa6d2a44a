package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// clearConfigEnv unsets the TRIBUTARY_* variables config.Load reads, so a
// developer's environment cannot change a test's outcome.
func clearConfigEnv(t *testing.T) {
	t.Helper()
	for _, k := range []string{"TRIBUTARY_DATA_DIR", "TRIBUTARY_HTTP_ADDR", "TRIBUTARY_DURABILITY", "TRIBUTARY_LOG_LEVEL"} {
		t.Setenv(k, "")
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCheckGoodFile(t *testing.T) {
	clearConfigEnv(t)
	path := writeFile(t, "good.yaml", "data_dir: /var/lib/tributary\nhttp:\n  addr: 0.0.0.0:4567\n")
	code, out, errOut := runMain(t, "", "check", "-c", path)
	if code != 0 || out != path+": ok\n" || errOut != "" {
		t.Errorf("exit %d, stdout %q, stderr %q; want 0, %q, nothing", code, out, errOut, path+": ok\n")
	}

	code, out, _ = runMain(t, "", "check", path, "-v") // positional FILE and -v after it
	if code != 0 || !strings.HasPrefix(out, path+": ok\n") ||
		!strings.Contains(out, "data_dir: /var/lib/tributary\n") || !strings.Contains(out, "durability: fsync") {
		t.Errorf("-v: exit %d, stdout:\n%s", code, out)
	}
}

func TestCheckShippedConfigs(t *testing.T) {
	clearConfigEnv(t)
	files, _ := filepath.Glob("../../../configs/*.yaml")
	if len(files) == 0 {
		t.Skip("no configs/*.yaml")
	}
	for _, f := range files {
		if code, _, errOut := runMain(t, "", "check", "-c", f); code != 0 {
			t.Errorf("check %s: exit %d\n%s", f, code, errOut)
		}
	}
}

func TestCheckBadFile(t *testing.T) {
	clearConfigEnv(t)
	path := writeFile(t, "bad.yaml", "spool:\n  durabilty: fsync\nhttp:\n  addr: nope\n")
	code, out, errOut := runMain(t, "", "check", "-c", path)
	if code != 1 || out != "" {
		t.Errorf("exit %d, stdout %q; want 1 and nothing", code, out)
	}
	lines := strings.Split(strings.TrimSuffix(errOut, "\n"), "\n")
	if len(lines) != 2 ||
		!strings.Contains(lines[0], path+":2: spool.durabilty: unknown key") ||
		!strings.Contains(lines[1], "http.addr: must be host:port") {
		t.Errorf("stderr:\n%s\nwant one line naming spool.durabilty and one naming http.addr", errOut)
	}
}

func TestCheckUsage(t *testing.T) {
	for _, args := range [][]string{
		{"check"},
		{"check", "-c", "a.yaml", "extra"},
		{"check", "--bogus"},
	} {
		if code, _, errOut := runMain(t, "", args...); code != 2 || !strings.Contains(errOut, "Usage: tributary check") {
			t.Errorf("%q: exit %d, stderr %q; want 2 and usage", args, code, errOut)
		}
	}
	if code, _, errOut := runMain(t, "", "check", "-c", filepath.Join(t.TempDir(), "missing.yaml")); code != 1 ||
		!strings.Contains(errOut, "no such file") {
		t.Errorf("missing file: exit %d, stderr %q", code, errOut)
	}
}
