//go:build linux

package browsertest

import (
	"os"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// chromiumFlags run Chromium headless with its fake camera, granted
// without a prompt, and keep it from doing anything besides the test page.
// --no-sandbox is needed as root; the network namespace is the isolation.
var chromiumFlags = []string{
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-dev-shm-usage",
	"--no-first-run",
	"--no-default-browser-check",
	"--disable-background-networking",
	"--disable-component-update",
	"--disable-sync",
	"--use-fake-device-for-media-stream",
	"--use-fake-ui-for-media-stream",
	"--autoplay-policy=no-user-gesture-required",
	"--enable-logging=stderr",
	"--v=0",
}

// chromiumPath is Debian's chromium launcher (or another distribution's
// name for it); "" if none is installed.
func chromiumPath() string {
	return lookTool([]string{"chromium", "chromium-browser"}, "/usr/bin")
}

// browser is a headless Chromium run by a test.
type browser struct {
	cmd    *exec.Cmd
	output *tailBuffer
	exited chan struct{} // closed once the browser process has exited
	err    error         // its exit status; read after exited
}

// startChromium opens pageURL in a new headless Chromium with a fresh
// profile (headless mode takes one page per process). When the test ends,
// the browser's whole process group is killed and, if the test failed, the
// tail of its output is logged.
func startChromium(t *testing.T, pageURL string) *browser {
	t.Helper()
	bin := chromiumPath()
	if bin == "" {
		t.Fatal("chromium not found")
	}
	profile := t.TempDir()
	args := append(append([]string{"--user-data-dir=" + profile}, chromiumFlags...), pageURL)
	b := &browser{cmd: exec.Command(bin, args...), output: newTailBuffer(512 << 10), exited: make(chan struct{})}
	// HOME and XDG directories in the profile keep Chromium's files
	// (NSS database, caches) out of the real home.
	b.cmd.Env = append(os.Environ(), "HOME="+profile, "XDG_CONFIG_HOME="+profile, "XDG_CACHE_HOME="+profile)
	b.cmd.Stdout, b.cmd.Stderr = b.output, b.output
	// Own process group, killed as one; Pdeathsig kills the browser if
	// the test process dies.
	b.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	b.cmd.WaitDelay = 5 * time.Second
	if err := b.cmd.Start(); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	t.Logf("chromium started (pid %d)", b.cmd.Process.Pid)
	go func() {
		b.err = b.cmd.Wait()
		close(b.exited)
	}()
	t.Cleanup(func() {
		b.kill(t)
		if t.Failed() {
			t.Logf("chromium output (tail):\n%s", b.output)
		}
	})
	return b
}

// kill ends the browser's process group and waits for the main process.
// The helpers die with the group's SIGKILL; they may linger as zombies
// until init reaps them, which is harmless (they hold no files). A helper
// that left the group (the crash handler runs in a session of its own, and
// exits when the browser is gone) is killed with the namespace's
// processes by isolate.
func (b *browser) kill(t *testing.T) {
	_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
	select {
	case <-b.exited:
	case <-time.After(10 * time.Second):
		t.Errorf("chromium (pid %d) did not exit within 10s of SIGKILL", b.cmd.Process.Pid)
	}
}
