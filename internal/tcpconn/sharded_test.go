package tcpconn

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestShardedEqualsOne: split by connection into --jobs shards (forced on
// small captures) the result is, field for field, that of one tshark over
// the file: on the synthetic captures (loss, reordering, handshake
// retransmissions, IPv6) and on every small shared TCP capture. --gaps is
// on, so frame numbers translated back from the shards are compared too.
func TestShardedEqualsOne(t *testing.T) {
	testutil.Tshark(t)
	old := minShardPackets
	minShardPackets = 0
	defer func() { minShardPackets = old }()
	root := testutil.Root()
	files := []string{
		filepath.Join(root, "testdata", "http", "synth-loss-reorder.pcapng"),
		filepath.Join(root, "testdata", "http", "pipelined-v6-port6000.pcapng"),
		filepath.Join(root, "testdata", "tcp", "synth-handshake-client.pcapng"),
	}
	shared, _ := filepath.Glob(filepath.Join(root, "..", "shared", "captures", "tcp", "*.pcap*"))
	if len(shared) == 0 {
		t.Log("../shared/captures/tcp absent: synthetic captures only")
	}
	for _, f := range shared {
		// Big ones cost seconds of tshark and add no case.
		if st, err := os.Stat(f); err == nil && st.Size() < 40_000 {
			files = append(files, f)
		}
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			one := analyse(t, Options{File: f, Gaps: true, Jobs: 1})
			before := splits.Load()
			split := analyse(t, Options{File: f, Gaps: true, Jobs: 3})
			if splits.Load() != before+1 {
				t.Errorf("not split (fell back to one tshark)")
			}
			a, _ := json.MarshalIndent(one, "", " ")
			b, _ := json.MarshalIndent(split, "", " ")
			if string(a) != string(b) {
				t.Errorf("3 shards differ from one tshark:\n%s", testutil.Diff(string(a), string(b)))
			}
		})
	}
}

// TestShardedStream: --stream names the whole file's tcp.stream even
// when shards number their connections their own way.
func TestShardedStream(t *testing.T) {
	testutil.Tshark(t)
	old := minShardPackets
	minShardPackets = 0
	defer func() { minShardPackets = old }()
	f := filepath.Join(testutil.Root(), "testdata", "http", "synth-loss-reorder.pcapng")
	for _, id := range []int64{1, 2} {
		one := analyse(t, Options{File: f, Stream: id, HasStream: true, Jobs: 1})
		split := analyse(t, Options{File: f, Stream: id, HasStream: true, Jobs: 3})
		a, _ := json.Marshal(one)
		b, _ := json.Marshal(split)
		if len(split.Connections) != 1 || split.Connections[0].Stream != id || string(a) != string(b) {
			t.Errorf("stream %d: %+v, want %+v", id, split.Connections, one.Connections)
		}
	}
}
