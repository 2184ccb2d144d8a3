package ringcut

import (
	"context"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

const ring = "http/synth-ring.pcapng"

// frameTimes reads every frame's time_epoch and length with tshark: what
// each piece must start and end with, and what the pieces put back
// together must repeat.
func frameTimes(t *testing.T, path string) []string {
	t.Helper()
	spec := tshark.Spec{Input: path, Mode: tshark.Fields, Fields: []string{"frame.time_epoch", "frame.len", "tcp.seq"}}
	var out []string
	_, err := dissect.Run(context.Background(), testutil.Tshark(t), spec, func(r *[]string) (string, error) {
		return strings.Join(*r, " "), nil
	}, func(s *string) error {
		out = append(out, *s)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// checkPieces: consecutive, complete, and each starting and ending with
// the original's frames at the same times.
func checkPieces(t *testing.T, ps []Piece, orig []string) {
	t.Helper()
	if ps[0].First != 1 || ps[len(ps)-1].Last != len(orig) {
		t.Fatalf("pieces cover frames %d-%d of %d", ps[0].First, ps[len(ps)-1].Last, len(orig))
	}
	for _, p := range ps {
		first, _, _ := strings.Cut(orig[p.First-1], " ")
		last, _, _ := strings.Cut(orig[p.Last-1], " ")
		if p.Start != first || p.End != last {
			t.Errorf("%s: frames %d-%d at %s..%s, the original has %s..%s", filepath.Base(p.Path), p.First, p.Last, p.Start, p.End, first, last)
		}
	}
}

// TestCut cuts the ring scenario with editcap -c at the sizes the
// stitching test uses and checks with capinfos and tshark where the cuts
// land: for each size, at least one cut inside a pipelined burst and one
// inside a response body (named here, so a change of the scenario that
// moves them fails).
func TestCut(t *testing.T) {
	path := testutil.Testdata(ring)
	var tr synth.Truth
	testutil.ReadJSON(t, path+".truth.json", &tr)
	orig := frameTimes(t, path)
	for _, c := range []struct {
		size, files int
		burst       int    // a boundary inside a pipelined burst
		body        int    // a boundary inside a response body
		bodyURI     string // whose body
	}{
		{20, 17, 121, 101, "/c5/r2"},
		{40, 9, 121, 161, "/c0/r3"},
		{56, 7, 113, 57, "/c3/r0"}, // 7 files, as issue #11 describes
	} {
		ps := Cut(t, path, c.size)
		if len(ps) != c.files {
			t.Fatalf("-c %d: %d pieces, want %d", c.size, len(ps), c.files)
		}
		for i, p := range ps[:len(ps)-1] {
			if p.Packets != c.size {
				t.Errorf("-c %d: piece %d has %d packets", c.size, i, p.Packets)
			}
		}
		checkPieces(t, ps, orig)
		b := Boundaries(ps)
		if !slices.Contains(b, c.burst) || InsideBurst(&tr, c.burst) == nil {
			t.Errorf("-c %d: no cut inside a pipelined burst at frame %d (cuts %v)", c.size, c.burst, b)
		}
		if !slices.Contains(b, c.body) || InsideBody(&tr, c.body) != c.bodyURI {
			t.Errorf("-c %d: cut at %d splits the body of %q, want %s", c.size, c.body, InsideBody(&tr, c.body), c.bodyURI)
		}
	}
}

// TestCutAt places cuts exactly: before the second request of the first
// pipelined burst and before the second frame of the first multi-segment
// response; mergecap -a puts the pieces back into the original's frames.
func TestCutAt(t *testing.T) {
	path := testutil.Testdata(ring)
	var tr synth.Truth
	testutil.ReadJSON(t, path+".truth.json", &tr)
	var burst, body int
	for _, e := range tr.Exchanges {
		if burst == 0 && e.Index%3 == 1 {
			burst = e.ReqFirstFrame
		}
		if body == 0 && len(e.RespSegments) > 2 {
			body = e.RespSegments[1]
		}
	}
	cuts := []int{burst, body}
	slices.Sort(cuts)
	ps := CutAt(t, path, cuts...)
	if got := Boundaries(ps); !slices.Equal(got, cuts) {
		t.Fatalf("boundaries %v, want %v", got, cuts)
	}
	if InsideBurst(&tr, burst) == nil || InsideBody(&tr, body) == "" {
		t.Errorf("cuts at %d and %d are not inside a burst and a body", burst, body)
	}
	orig := frameTimes(t, path)
	checkPieces(t, ps, orig)
	merged := filepath.Join(t.TempDir(), "merged.pcapng")
	if out, err := exec.Command(tool(t, "mergecap"), append([]string{"-a", "-w", merged}, Paths(ps)...)...).CombinedOutput(); err != nil {
		t.Fatalf("mergecap: %v\n%s", err, out)
	}
	if got := frameTimes(t, merged); !slices.Equal(got, orig) {
		t.Errorf("mergecap -a of the pieces differs from the original (%d frames, want %d)", len(got), len(orig))
	}
}
