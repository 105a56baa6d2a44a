package kinesis

import (
	"testing"

	"github.com/tributary-edge/tributary/gateway/internal/kinesis/kinesistest"
)

// startKinesalite starts kinesalite (see kinesistest.StartKinesalite) and
// returns its URL.
func startKinesalite(tb testing.TB) string {
	tb.Helper()
	return kinesistest.StartKinesalite(tb, "testdata/kinesalite").URL
}
