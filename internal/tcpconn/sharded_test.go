package tcpconn

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestShardedEqualsOne: split by connection into --jobs shards (forced on
// small captures) the result is, field for field, that of one tshark over
// the file: on the synthetic captures (loss, reordering, handshake
// retransmissions, IPv6) and on every small shared TCP capture. --gaps is
// on, so frame numbers translated back from the shards are compared too.
//
// The small shared captures hold one connection each, so one by one they
// would all take the same path (one shard with the connection, the rest
// empty) at six tshark starts apiece. They are merged into one capture
// (mergecap, by time) instead: their connections (handshake only, no SYN,
// duplicate ACKs, zero window, retransmissions...) then spread over the
// shards side by side, and must still come back as one tshark numbers and
// measures them. The gzip-compressed one stays on its own (the splitter
// reads it through its own decompression, and with one connection in three
// shards it keeps the empty-shard case).
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
	var small []string
	for _, f := range shared {
		// Big ones cost seconds of tshark and add no case.
		if st, err := os.Stat(f); err != nil || st.Size() >= 40_000 {
			continue
		}
		switch base := filepath.Base(f); {
		case strings.HasSuffix(base, ".gz"):
			files = append(files, f)
		case sameFetch[base]:
			// Merged, its reused address and port would be another case.
		default:
			small = append(small, f)
		}
	}
	merged := ""
	if len(small) > 0 {
		merged = mergeCaptures(t, small)
		files = append(files, merged)
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			one := analyse(t, Options{File: f, Gaps: true, Jobs: 1})
			// Each small capture is one connection: merged, each must
			// still be one of its own, or the case is not what it says.
			if f == merged && len(one.Connections) != len(small) {
				t.Fatalf("%d captures merged into %d connections", len(small), len(one.Connections))
			}
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
			if c := oneJobShards(t, Options{File: f, Gaps: true, Jobs: 1}); !reflect.DeepEqual(c, one) {
				c, _ := json.MarshalIndent(c, "", " ")
				t.Errorf("3 shards one after another (2 spilled) differ from one tshark:\n%s", testutil.Diff(string(a), string(c)))
			}
		})
	}
}

// oneJobShards analyses opt forced into 3 shards, as a large capture is
// at --jobs 1: the first two shards' connections are spilled and read
// back.
func oneJobShards(t *testing.T, opt Options) *Result {
	t.Helper()
	forceShards = 3
	defer func() { forceShards = 0 }()
	before := spilledShards.Load()
	res := analyse(t, opt)
	if n := spilledShards.Load() - before; n != 2 {
		t.Errorf("%d shards spilled, want 2", n)
	}
	return res
}

// sameFetch are shared captures of the same fetch as sanders_latency1,
// from the same client address and port (slow for other reasons, which
// TestSandersLatency checks): for the splitter, the same connection again.
var sameFetch = map[string]bool{"sanders_latency2.pcapng": true, "sanders_latency3.pcapng": true}

// mergeCaptures merges files by packet time into one capture in the
// test's temporary directory, with Wireshark's mergecap (it comes with
// tshark).
func mergeCaptures(t *testing.T, files []string) string {
	t.Helper()
	bin, err := exec.LookPath("mergecap")
	if err != nil {
		t.Fatalf("mergecap not found (%v): it comes with tshark (scripts/install-deps.sh)", err)
	}
	out := filepath.Join(t.TempDir(), "small-shared-tcp.pcapng")
	if b, err := exec.Command(bin, append([]string{"-w", out}, files...)...).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v\n%s", err, b)
	}
	return out
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
