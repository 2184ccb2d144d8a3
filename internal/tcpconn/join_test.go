package tcpconn

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestJoinedEqualsFull: tshark's JoinFields joined to the splitter's
// headers give, byte for byte, the result of tshark's full rows (or the
// same error), with --gaps on so that frame numbers, IP IDs and relative
// sequence numbers are compared too: on the synthetic captures and on
// every shared TCP, TLS and odd capture (VLAN, QinQ, loopback, Linux
// cooked, IPv6, tunnels, truncated files, no SYN, port reuse). Captures
// the headers cannot serve (tunnels: two TCP headers in one row) must
// have gone back to the full rows, and the others must not have: the
// joined path is what was compared.
func TestJoinedEqualsFull(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	root := testutil.Root()
	files := []string{
		filepath.Join(root, "testdata", "http", "synth-loss-reorder.pcapng"),
		filepath.Join(root, "testdata", "http", "pipelined-v6-port6000.pcapng"),
		filepath.Join(root, "testdata", "http", "synth-mirror-gre.pcap"),
		filepath.Join(root, "testdata", "http", "synth-reset-end.pcapng"),
	}
	tcpdata, _ := filepath.Glob(filepath.Join(root, "testdata", "tcp", "*.pcap*"))
	files = append(files, tcpdata...)
	for _, dir := range []string{"tcp", "tls", "odd"} {
		shared, _ := filepath.Glob(filepath.Join(root, "..", "shared", "captures", dir, "*.pcap*"))
		if len(shared) == 0 {
			t.Logf("../shared/captures/%s absent: fewer captures", dir)
		}
		files = append(files, shared...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".json") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			full, ferr := Run(context.Background(), Options{File: f, Gaps: true, Jobs: 1, full: true})
			back := false
			joined, jerr := Run(context.Background(), Options{File: f, Gaps: true, Jobs: 1, onFull: func() { back = true }})
			if (ferr == nil) != (jerr == nil) || (ferr != nil && ferr.Error() != jerr.Error()) {
				t.Fatalf("full rows: %v; joined: %v", ferr, jerr)
			}
			if errors.Is(ferr, ErrNoTCP) {
				return
			}
			a, _ := json.MarshalIndent(full, "", " ")
			b, _ := json.MarshalIndent(joined, "", " ")
			if string(a) != string(b) {
				t.Errorf("joined rows differ from the full rows:\n%s", testutil.Diff(string(a), string(b)))
			}
			if want := wantFullRows[filepath.Base(f)]; back != want {
				t.Errorf("went back to the full rows: %v, want %v", back, want)
			}
		})
	}
}

// wantFullRows are the captures the joined rows cannot serve.
var wantFullRows = map[string]bool{
	"synth-mirror-gre.pcap":             true,
	"zeek_vxlan-encapsulated-http.pcap": true,
}

// TestJoinedSplitKeepsFrames: split in shards, the joined path gives
// the whole file's frame numbers (the gaps list them) and connections,
// as one shard does.
func TestJoinedSplitKeepsFrames(t *testing.T) {
	testutil.Tshark(t)
	old := minShardPackets
	minShardPackets = 0
	defer func() { minShardPackets = old }()
	f := testutil.Testdata("http", "synth-loss-reorder.pcapng")
	if _, err := os.Stat(f); err != nil {
		t.Fatal(err)
	}
	back, before := false, splits.Load()
	one := analyse(t, Options{File: f, Gaps: true, Jobs: 1, full: true})
	split := analyse(t, Options{File: f, Gaps: true, Jobs: 2, onFull: func() { back = true }})
	if back || splits.Load() != before+1 {
		t.Errorf("went back to the full rows (%v) or not split", back)
	}
	a, _ := json.Marshal(one)
	b, _ := json.Marshal(split)
	if string(a) != string(b) {
		t.Errorf("2 joined shards differ from one tshark's full rows:\n%s", testutil.Diff(string(a), string(b)))
	}
}
