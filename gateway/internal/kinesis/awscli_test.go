package kinesis

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestAWSCLISmoke runs testdata/awscli-smoke.sh, a walk through the
// stream, record, paging and resharding commands of the aws CLI v2, against
// the handler. The CLI is Debian's awscli at /usr/bin/aws (an aws v1 shim
// often comes first on PATH, so PATH is not searched) or $AWS. Outside CI
// the test is skipped when it is missing. It takes about 20 s, a second
// per aws run.
func TestAWSCLISmoke(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (the ARM run): about 25 s of aws CLI calls; the protocol is the same on every architecture")
	}
	aws := os.Getenv("AWS")
	if aws == "" {
		aws = "/usr/bin/aws"
	}
	bash, bashErr := exec.LookPath("bash")
	_, awsErr := exec.LookPath(aws)
	if awsErr != nil || bashErr != nil {
		msg := "aws CLI v2 not found at " + aws + " (apt-get install awscli, or set AWS)"
		if bashErr != nil {
			msg = "bash not found; the aws CLI smoke test is a bash script"
		}
		if os.Getenv("CI") != "" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}

	e := newEnv(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bash, "testdata/awscli-smoke.sh", e.url)
	// No AWS_* settings of the caller's and a fresh HOME, so no user
	// configuration or credentials leak in.
	env := []string{"AWS=" + aws, "HOME=" + t.TempDir()}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AWS") && !strings.HasPrefix(kv, "HOME=") {
			env = append(env, kv)
		}
	}
	cmd.Env = env
	cmd.WaitDelay = 5 * time.Second // an aws child may hold the output pipe after bash is killed
	start := time.Now()
	out, err := cmd.CombinedOutput()
	t.Logf("awscli-smoke.sh (%v):\n%s", time.Since(start).Round(time.Millisecond), out)
	if ctx.Err() != nil {
		t.Fatalf("awscli-smoke.sh did not finish within 2 minutes: %v", err)
	}
	if err != nil {
		t.Fatalf("awscli-smoke.sh failed: %v (its output is logged above)", err)
	}
}
