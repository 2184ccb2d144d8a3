package tracesum

import (
	"context"
	"encoding/json"
	"errors"
	"path/filepath"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestSplitEqualsWhole: the summary made through the splitter (its own
// read for counts, sizes and times; tshark per connection shard, three
// forced on small captures) is, field for field and sample for sample,
// the one made by one tshark over the file; and a capture the splitter
// cannot follow falls back to that one tshark. The captures cover loss
// and reordering, IPv6, pipelining, ICMP only (everything in shard 0),
// a GRE mirror and a VXLAN tunnel (both in shard 0 whole), a null link layer and link types the splitter
// does not parse.
func TestSplitEqualsWhole(t *testing.T) {
	bin := testutil.Tshark(t)
	old := minShardPackets
	minShardPackets = 0
	// Cleanup, not defer: the parallel subtests run after this function
	// returns.
	before := shardsRun.Load()
	t.Cleanup(func() {
		minShardPackets = old
		// Skipped (no shared captures beside the project): nothing ran.
		if n := shardsRun.Load() - before; !t.Skipped() && n < 3*8 {
			t.Errorf("%d shards dissected, want 3 per split capture", n)
		}
	})
	cases := []struct {
		path  string
		split bool // false: the splitter refuses it (fallback)
	}{
		{testutil.Testdata("http", "synth-loss-reorder.pcapng"), true},
		{testutil.Testdata("http", "pipelined-v6-port6000.pcapng"), true},
		{testutil.Testdata("icmp", "synth-node.pcap"), true},
		{testutil.Testdata("http", "synth-mirror-gre.pcap"), true},
		{testutil.Shared(t, "tcp/arkime_wireshark-retrans_4000.pcap"), true},
		{testutil.Shared(t, "http/sanders_http_ip4and6.pcapng"), true},
		{testutil.Shared(t, "odd/zeek_vxlan-encapsulated-http.pcap"), true},
		{testutil.Shared(t, "odd/zeek_connect-with-header_null-ipv6.pcap"), true},
		{testutil.Shared(t, "odd/arkime_80211http_radiotap.pcap"), false},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.path), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			b, col, partial, err := runWhole(ctx, bin, Options{File: c.path})
			if err != nil {
				t.Fatal(err)
			}
			whole := &Summary{File: c.path, Partial: partial}
			whole.finish(b, col, 10)
			b, col, partial, err = runSplit(ctx, bin, Options{File: c.path, Jobs: 3})
			if errors.Is(err, errFallback) != !c.split || (err != nil && !errors.Is(err, errFallback)) {
				t.Fatalf("split: %v, want split %v", err, c.split)
			}
			if !c.split {
				return
			}
			split := &Summary{File: c.path, Partial: partial}
			split.finish(b, col, 10)
			a, _ := json.MarshalIndent(whole, "", " ")
			z, _ := json.MarshalIndent(split, "", " ")
			if string(a) != string(z) || !equalFloats(whole.Sizes, split.Sizes) || !equalFloats(whole.Gaps, split.Gaps) {
				t.Errorf("split differs from one tshark:\n%s", testutil.Diff(string(a), string(z)))
			}
		})
	}
}

func equalFloats(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestSplitSpreadsOther: a capture mostly of UDP and ICMP, over many
// address pairs, with more such packets than a shard may hold, is split
// with no shard above the (lowered) limit, where shard 0 would otherwise
// hold them all, and its summary is one tshark's.
func TestSplitSpreadsOther(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	path, n := testutil.MixedCapture(t, 30)
	ctx := context.Background()
	b, col, partial, err := runWhole(ctx, bin, Options{File: path})
	if err != nil {
		t.Fatal(err)
	}
	whole := &Summary{File: path, Partial: partial}
	whole.finish(b, col, 10)
	// 3 shards of ~1030 packets: the pairs and connections fall evenly.
	const limit = 1100
	for _, jobs := range []int{1, 2} {
		b, cols, partial, err := collectShards(ctx, bin, Options{File: path, Jobs: jobs}, limit, 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(cols) != (n+limit-1)/limit {
			t.Fatalf("--jobs %d: %d shards for %d packets", jobs, len(cols), n)
		}
		for id, c := range cols {
			var pkts int
			for _, p := range c.protos {
				pkts += p.Packets
			}
			if pkts > limit || pkts == 0 {
				t.Errorf("--jobs %d: shard %d of %d dissected %d packets, want 1..%d", jobs, id, len(cols), pkts, limit)
			}
		}
		c := cols[0]
		for _, o := range cols[1:] {
			c.merge(o)
		}
		split := &Summary{File: path, Partial: partial}
		split.finish(b, c, 10)
		a, _ := json.MarshalIndent(whole, "", " ")
		z, _ := json.MarshalIndent(split, "", " ")
		if string(a) != string(z) {
			t.Errorf("--jobs %d: split differs from one tshark:\n%s", jobs, testutil.Diff(string(a), string(z)))
		}
	}
	if whole.Packets != n || len(whole.Protocols) < 4 {
		t.Errorf("capture: %d packets (wrote %d), protocols %+v", whole.Packets, n, whole.Protocols)
	}
}
