package shard

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
)

// TestFlowsSizeTheSplit: Flows counts address and port pairs (a port
// reuse is the same pair, so the same shard), stops at atMost, and a
// split into that many shards leaves no shard without a connection
// (with a hash, two of three connections could share a shard and leave
// a tshark with nothing to do).
func TestFlowsSizeTheSplit(t *testing.T) {
	t.Parallel()
	var pkts [][]byte
	for i := range 9 {
		port := uint16(1000 + i)
		pkts = append(pkts, tcpPacket(t, "10.0.0.1", "10.0.0.9", port, 80, true, false, false, 100),
			tcpPacket(t, "10.0.0.9", "10.0.0.1", 80, port, true, true, false, 500))
	}
	// Port reuse on the first pair: a new tshark stream, not a new pair.
	pkts = append(pkts, tcpPacket(t, "10.0.0.1", "10.0.0.9", 1000, 80, true, false, false, 9000))
	path := filepath.Join(t.TempDir(), "x.pcap")
	if err := os.WriteFile(path, writePcap(t, pkts), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct{ atMost, want int }{{32, 9}, {9, 9}, {4, 4}, {1, 1}} {
		if n, err := Flows(context.Background(), path, c.atMost); err != nil || n != c.want {
			t.Errorf("Flows(%d) = %d, %v; want %d", c.atMost, n, err, c.want)
		}
	}
	for _, k := range []int{2, 3, 9} {
		outs := map[int]*Out{}
		for i := range k {
			outs[i] = &Out{W: &bytes.Buffer{}}
		}
		if _, err := Split(context.Background(), path, k, outs, nil); err != nil {
			t.Fatal(err)
		}
		for i, o := range outs {
			if o.flows.len() == 0 {
				t.Errorf("k=%d: shard %d has no connection", k, i)
			}
		}
	}
}
