package tracesum

import (
	"context"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestProgress: a run tells Options.Progress how far tshark has read.
func TestProgress(t *testing.T) {
	testutil.Tshark(t)
	t.Parallel()
	path := testutil.Testdata("http", "synth-gaps-v6.pcap")
	var rec testutil.Progress
	if _, err := Run(context.Background(), Options{File: path, TopN: 3, Progress: rec.Add}); err != nil {
		t.Fatal(err)
	}
	rec.Check(t, path)
}
