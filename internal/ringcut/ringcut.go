// Package ringcut cuts a capture into ring-buffer pieces for tests, the
// way `dumpcap -b packets:N` or `editcap -c N` leave a long capture: the
// pieces of one capture, each a complete file, named so that name order
// is time order. Tests of stitching (one report from the pieces equal to
// the whole file's) use it with cuts placed inside a pipelined burst and
// inside a response body. It runs Wireshark's editcap and capinfos and
// writes only into the test's temporary directory.
package ringcut

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/synth"
)

// Piece is one ring file: which frames of the original it holds (1-based,
// inclusive) and what capinfos says of it.
type Piece struct {
	Path        string
	First, Last int // frames of the original capture
	Packets     int
	// Start and End are capinfos' first and last packet times, as it
	// prints them (epoch seconds, as many decimals as the file holds).
	Start, End string
}

// tool finds a Wireshark command-line tool; like testutil.Tshark it fails
// the test when it is missing unless PCAPMETER_SKIP_TSHARK=1 says to skip.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		if os.Getenv("PCAPMETER_SKIP_TSHARK") == "1" {
			t.Skipf("%s not installed and PCAPMETER_SKIP_TSHARK=1", name)
		}
		t.Fatalf("%s not found (%v): it comes with tshark (scripts/install-deps.sh)", name, err)
	}
	return p
}

func run(t testing.TB, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(tool(t, name), args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// Cut splits capture into pieces of packets frames each with `editcap -c`
// in a fresh temporary directory and returns them in ring order, described.
func Cut(t testing.TB, capture string, packets int) []Piece {
	t.Helper()
	if packets < 1 {
		t.Fatalf("ringcut: %d packets per piece", packets)
	}
	dir := t.TempDir()
	run(t, "editcap", "-c", strconv.Itoa(packets), capture, filepath.Join(dir, "ring"+filepath.Ext(capture)))
	files, err := filepath.Glob(filepath.Join(dir, "ring_*"))
	if err != nil || len(files) == 0 {
		t.Fatalf("ringcut: editcap -c %d wrote no pieces (%v)", packets, err)
	}
	slices.Sort(files)
	return Describe(t, files)
}

// CutAt splits capture so that pieces start at the given frames (the
// first piece starts at frame 1; starts must ascend), with one `editcap
// -r` per piece, named ring_00000, ring_00001… like editcap -c's pieces.
func CutAt(t testing.TB, capture string, starts ...int) []Piece {
	t.Helper()
	total := Describe(t, []string{capture})[0].Packets
	bounds := append([]int{1}, starts...)
	bounds = append(bounds, total+1)
	dir := t.TempDir()
	var files []string
	for i := 0; i+1 < len(bounds); i++ {
		lo, hi := bounds[i], bounds[i+1]-1
		if lo > hi || lo < 1 || hi > total {
			t.Fatalf("ringcut: piece %d would hold frames %d-%d of %d", i, lo, hi, total)
		}
		f := filepath.Join(dir, fmt.Sprintf("ring_%05d%s", i, filepath.Ext(capture)))
		run(t, "editcap", "-r", capture, f, fmt.Sprintf("%d-%d", lo, hi))
		files = append(files, f)
	}
	return Describe(t, files)
}

// Describe reads each piece's packet count and first and last time with
// capinfos, and numbers its frames as frames of the original, assuming
// the pieces are consecutive and in order.
func Describe(t testing.TB, files []string) []Piece {
	t.Helper()
	args := append([]string{"-T", "-r", "-c", "-a", "-e", "-S"}, files...)
	lines := strings.Split(strings.TrimSpace(run(t, "capinfos", args...)), "\n")
	if len(lines) != len(files) {
		t.Fatalf("ringcut: capinfos described %d of %d files", len(lines), len(files))
	}
	var out []Piece
	next := 1
	for i, l := range lines {
		f := strings.Split(l, "\t")
		n, err := strconv.Atoi(strings.TrimSpace(f[1]))
		if len(f) != 4 || err != nil {
			t.Fatalf("ringcut: capinfos line %q", l)
		}
		out = append(out, Piece{Path: files[i], First: next, Last: next + n - 1, Packets: n,
			Start: strings.TrimSpace(f[2]), End: strings.TrimSpace(f[3])})
		next += n
	}
	return out
}

// Paths returns the pieces' files, in ring order.
func Paths(ps []Piece) []string {
	out := make([]string, len(ps))
	for i, p := range ps {
		out[i] = p.Path
	}
	return out
}

// Boundaries returns the first frame of every piece but the first: the
// frames a cut lands before.
func Boundaries(ps []Piece) []int {
	var out []int
	for _, p := range ps[1:] {
		out = append(out, p.First)
	}
	return out
}

// InsideBurst returns the URIs of the pipelined batch a cut before frame b
// splits (some of its requests before b, some from b on), if any.
func InsideBurst(tr *synth.Truth, b int) []string {
	type key struct{ conn, batch int }
	batches := map[key][]synth.Exchange{}
	for _, e := range tr.Exchanges {
		k := key{e.Conn, e.Batch}
		batches[k] = append(batches[k], e)
	}
	for _, exs := range batches {
		before, after := false, false
		var uris []string
		for _, e := range exs {
			uris = append(uris, e.URI)
			if e.ReqFirstFrame > 0 && e.ReqFirstFrame < b {
				before = true
			} else if e.ReqFirstFrame >= b {
				after = true
			}
		}
		if before && after {
			slices.Sort(uris)
			return uris
		}
	}
	return nil
}

// InsideBody returns the URI of the response a cut before frame b splits
// (some of its captured frames before b, some from b on), or "".
func InsideBody(tr *synth.Truth, b int) string {
	for _, e := range tr.Exchanges {
		if r := e.RespSegments; len(r) > 1 && r[0] < b && b <= r[len(r)-1] {
			return e.URI
		}
	}
	return ""
}
