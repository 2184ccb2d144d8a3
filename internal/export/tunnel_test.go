package export

import (
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestSplitTunnelStreams: a TCP connection inside a tunnel (VXLAN) goes
// to shard 0 with the plain connections the splitter put there, and
// shard 0's tshark numbers it among them, so its local tcp.stream
// numbers are not the splitter's. A filter that leaves out the highest
// of them hid the difference: the split export printed other
// connections' numbers (jobs 2: frames 30 and 39 of the HTTP capture as
// stream 3 instead of 2). The ports of each row are checked against the
// splitter's connection, and a mismatch is exported by one tshark.
func TestSplitTunnelStreams(t *testing.T) {
	bin := testutil.Tshark(t)
	old := minShardPackets
	minShardPackets = 0
	t.Cleanup(func() { minShardPackets = old })
	path := filepath.Join(t.TempDir(), "tunnel-mix.pcap")
	args := []string{"-a", "-F", "pcap", "-w", path}
	for _, f := range []string{"odd/zeek_vxlan-encapsulated-http.pcap", "http/wireshark_http.cap", "tcp/arkime_wireshark-retrans_4000.pcap", "tcp/sanders_tcp_handshake.pcapng"} {
		args = append(args, testutil.Shared(t, f))
	}
	if out, err := exec.Command("mergecap", args...).CombinedOutput(); err != nil {
		t.Skipf("mergecap: %v %s", err, out)
	}
	fields, _ := FieldColumns([]string{"frame.number", "tcp.stream"})
	rows := func(jobs int) string {
		e, err := Prepare(context.Background(), Options{File: path, Columns: fields, Filter: "http", Tshark: bin, Jobs: jobs})
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
		return b.String()
	}
	whole := rows(1)
	if got := rows(2); got != whole {
		t.Errorf("2 shards differ from one tshark:\n%s", testutil.Diff(whole, got))
	}
}
