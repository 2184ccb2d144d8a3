package tracesum

import (
	"context"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestProgress: a run tells Options.Progress how far tshark has read,
// and Options.Packets how many packets, ending with them all.
func TestProgress(t *testing.T) {
	testutil.Tshark(t)
	t.Parallel()
	path := testutil.Testdata("http", "synth-gaps-v6.pcap")
	var rec testutil.Progress
	var packets int64
	s, err := Run(context.Background(), Options{File: path, TopN: 3, Progress: rec.Add, Packets: func(n int64) { packets = n }})
	if err != nil {
		t.Fatal(err)
	}
	rec.Check(t, path)
	if packets != int64(s.Packets) || packets == 0 {
		t.Errorf("packets told %d, the capture has %d", packets, s.Packets)
	}
}
