package export

import (
	"context"
	"path/filepath"
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
		if n := splits.Load(); n != 6 {
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
