package export

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestSplitEqualsWhole: exported through the splitter (three connection
// shards forced on small captures, rows spilled and merged by frame) the
// rows are, byte for byte, one tshark's: the packet list (TCP analysis
// in Info with its "Dup ACK 28#1" and ICMP's "reply in 2" frame links,
// relative times), translated
// fields (frame.number, frame.time_relative, tcp.stream), a filter; and
// columns or filters that name other frames are exported by one tshark.
func TestSplitEqualsWhole(t *testing.T) {
	bin := testutil.Tshark(t)
	old := minShardPackets
	minShardPackets = 0
	var splits atomic.Int64
	t.Cleanup(func() {
		minShardPackets = old
		// Skipped (no shared captures beside the project): nothing ran.
		if n := splits.Load(); !t.Skipped() && n != 6 {
			t.Errorf("%d exports split, want 6", n)
		}
	})
	list, _ := PacketList("relative")
	iso, _ := PacketList("iso")
	fields, _ := FieldColumns([]string{"frame.number", "frame.time_relative", "tcp.stream", "ip.src", "tcp.srcport", "frame.protocols"})
	linked, _ := FieldColumns([]string{"frame.number", "tcp.analysis.acks_frame"})
	cases := []struct {
		file   string
		cols   Columns
		filter string
		split  bool
	}{
		{testutil.Testdata("http", "synth-loss-reorder.pcapng"), list, "", true},
		{testutil.Testdata("http", "synth-mirror-gre.pcap"), list, "", true},
		{testutil.Testdata("icmp", "synth-node.pcap"), iso, "", true},
		{testutil.Shared(t, "http/sanders_http_ip4and6.pcapng"), list, "http || icmpv6", true},
		{testutil.Shared(t, "tcp/arkime_wireshark-retrans_4000.pcap"), fields, "", true},
		{testutil.Shared(t, "http/wireshark_http.cap"), list, "", true},
		{testutil.Testdata("http", "synth-loss-reorder.pcapng"), linked, "", false},
		{testutil.Testdata("http", "synth-loss-reorder.pcapng"), list, "frame.number > 10", false},
	}
	for _, c := range cases {
		t.Run(filepath.Base(c.file), func(t *testing.T) {
			t.Parallel()
			rows := func(jobs int) (string, bool) {
				e, err := Prepare(context.Background(), Options{File: c.file, Columns: c.cols, Filter: c.filter, Tshark: bin, Jobs: jobs})
				if err != nil {
					t.Fatal(err)
				}
				var b strings.Builder
				if _, err := e.Run(context.Background(), func(row []string) error {
					b.WriteString(strings.Join(row, "\t") + "\n")
					return nil
				}); err != nil {
					t.Fatal(err)
				}
				return b.String(), e.split
			}
			whole, _ := rows(1)
			got, split := rows(3)
			if split {
				splits.Add(1)
			}
			if split != c.split {
				t.Errorf("split %v, want %v", split, c.split)
			}
			if got != whole {
				t.Errorf("3 shards differ from one tshark:\n%s", testutil.Diff(whole, got))
			}
		})
	}
}

// TestSplitSpreadsOther: a capture mostly of UDP and ICMP, over many
// address pairs, with more such packets than a shard may hold (the
// limit lowered), is split with no shard's tshark above the limit, where
// shard 0 would otherwise print them all, and its rows are one tshark's,
// in capture order, ICMP's "request in N" links translated.
func TestSplitSpreadsOther(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	path, n := testutil.MixedCapture(t, 30)
	list, _ := PacketList("relative")
	fields, _ := FieldColumns([]string{"frame.number", "frame.time_relative", "ip.src", "udp.srcport", "icmp.type", "frame.protocols"})
	// 3 shards of ~1030 packets: the pairs and connections fall evenly.
	const limit = 1100
	for _, cols := range []Columns{list, fields} {
		rows := func(jobs int, per int64) (string, *Export) {
			e, err := Prepare(context.Background(), Options{File: path, Columns: cols, Tshark: bin, Jobs: jobs})
			if err != nil {
				t.Fatal(err)
			}
			e.shardPackets = per
			var b strings.Builder
			if _, err := e.Run(context.Background(), func(row []string) error {
				b.WriteString(strings.Join(row, "\t") + "\n")
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			return b.String(), e
		}
		whole, e := rows(1, 0)
		info := slices.Contains(cols.Fields, "_ws.col.Info")
		if e.split || strings.Count(whole, "\n") != n || info != strings.Contains(whole, "request in") {
			t.Fatalf("one tshark: split %v, %d rows of %d", e.split, strings.Count(whole, "\n"), n)
		}
		for _, jobs := range []int{1, 2} {
			if !info && jobs == 1 {
				continue // the shards are the same; make test's budget
			}
			got, e := rows(jobs, limit)
			if !e.split || len(e.shardRows) != (n+limit-1)/limit {
				t.Fatalf("--jobs %d: split %v in %d shards", jobs, e.split, len(e.shardRows))
			}
			for id, r := range e.shardRows {
				if r > limit || r == 0 {
					t.Errorf("--jobs %d: shard %d printed %d rows, want 1..%d", jobs, id, r, limit)
				}
			}
			if got != whole {
				t.Errorf("--jobs %d: split differs from one tshark:\n%s", jobs, testutil.Diff(whole, got))
			}
		}
	}
}
