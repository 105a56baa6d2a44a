package server

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/tributary-edge/tributary/ingest/mqtttest"
	"github.com/tributary-edge/tributary/uplink/uplinktest"
)

// The aws CLI v2 configures a delivery on the gateway, as the README
// shows: create-delivery-stream with shorthand syntax, put-record-batch,
// describe, delete.
func TestFirehoseWithTheAWSCLI(t *testing.T) {
	if testing.Short() {
		t.Skip("-short (the ARM run): aws CLI calls take a second each")
	}
	aws := os.Getenv("AWS")
	if aws == "" {
		aws = "/usr/bin/aws" // an aws v1 often comes first on PATH
	}
	if _, err := exec.LookPath(aws); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("aws CLI v2 not found at %s (apt-get install awscli)", aws)
		}
		t.Skipf("aws CLI v2 not found at %s (apt-get install awscli)", aws)
	}
	ep := uplinktest.Start(t)
	g, _ := startGateway(t, nil)
	home := t.TempDir()
	// The CLI's model says an HTTP endpoint's interval is ≥ 60 s (Firehose
	// now allows 0, as the gateway does); let it through, so the test
	// need not wait a minute.
	os.WriteFile(home+"/config", []byte("[default]\nparameter_validation = false\n"), 0o600)
	run := func(args ...string) string {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, aws, append([]string{"firehose", "--endpoint-url", "http://" + g.Addr(), "--output", "json"}, args...)...)
		cmd.Env = []string{"HOME=" + home, "PATH=" + os.Getenv("PATH"), "AWS_ACCESS_KEY_ID=AKID", "AWS_SECRET_ACCESS_KEY=secret",
			"AWS_DEFAULT_REGION=us-east-1", "AWS_PAGER=", "AWS_CONFIG_FILE=" + home + "/config", "AWS_SHARED_CREDENTIALS_FILE=" + home + "/credentials"}
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("aws firehose %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return string(out)
	}
	run("create-delivery-stream", "--delivery-stream-name", "cloud", "--http-endpoint-destination-configuration",
		"EndpointConfiguration={Url="+ep.URL+"},BufferingHints={SizeInMBs=1,IntervalInSeconds=0},S3Configuration={BucketARN=arn:aws:s3:::b,RoleARN=arn:aws:iam::1:role/r}")
	run("put-record-batch", "--delivery-stream-name", "cloud", "--cli-binary-format", "raw-in-base64-out",
		"--records", `[{"Data":"one"},{"Data":"two"},{"Data":"three"}]`)
	mqtttest.Eventually(t, 30*time.Second, "3 records at the endpoint", func() bool { return ep.Accepted() == 3 })
	var desc struct {
		DeliveryStreamDescription struct {
			DeliveryStreamStatus string
			Destinations         []struct {
				HttpEndpointDestinationDescription struct {
					EndpointConfiguration struct{ Url string }
				}
			}
		}
	}
	if err := json.Unmarshal([]byte(run("describe-delivery-stream", "--delivery-stream-name", "cloud")), &desc); err != nil {
		t.Fatal(err)
	}
	d := desc.DeliveryStreamDescription
	if d.DeliveryStreamStatus != "ACTIVE" || len(d.Destinations) != 1 || d.Destinations[0].HttpEndpointDestinationDescription.EndpointConfiguration.Url != ep.URL {
		t.Errorf("describe-delivery-stream: %+v", d)
	}
	run("delete-delivery-stream", "--delivery-stream-name", "cloud")
	if out := run("list-delivery-streams"); strings.Contains(out, "cloud") {
		t.Errorf("list after delete: %s", out)
	}
}
