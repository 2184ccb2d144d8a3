package httplat

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/ringcut"
	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// ringRun measures files and returns every exchange with its frames
// mapped back to the original capture through the pieces' first frames.
func ringRun(t *testing.T, files []string, pieces []ringcut.Piece, jobs int) outcome {
	t.Helper()
	testutil.Tshark(t)
	first := map[string]int64{}
	for _, p := range pieces {
		first[p.Path] = int64(p.First)
	}
	var o outcome
	opt := Options{Files: files, Jobs: jobs, OnExchange: func(f string, e *exchange.Exchange) error {
		base, ok := first[f]
		if !ok && len(pieces) > 0 {
			t.Errorf("exchange reported in %q, not one of the pieces", f)
		}
		c := *e
		for _, fr := range []*int64{&c.ReqFirstFrame, &c.Req.Frame, &c.RespFirstFrame, &c.Resp.Frame} {
			if *fr > 0 && ok {
				*fr += base - 1
			}
		}
		o.exs = append(o.exs, c)
		return nil
	}}
	res, err := Run(t.Context(), opt)
	if err != nil && err != ErrNoHTTP {
		t.Fatalf("jobs %d: %v", jobs, err)
	}
	o.res, o.warns = res, strings.Join(res.Warnings, "; ")
	return o
}

// firstCut returns the first frame from 2 on before which a cut makes
// pred true.
func firstCut(n int, pred func(b int) bool) int {
	for b := 2; b <= n; b++ {
		if pred(b) {
			return b
		}
	}
	return 0
}

// TestRingPieces: a capture cut into ring files (editcap -c at several
// sizes, and cuts placed inside a pipelined burst and inside a response
// body) gives exactly the whole file's report, every exchange with the
// same frames once mapped back to the original, with --jobs 1 and 2; and
// the pieces given out of order give it too, with a warning.
func TestRingPieces(t *testing.T) {
	path := testutil.Testdata("http", "synth-ring.pcapng")
	var tr synth.Truth
	testutil.ReadJSON(t, path+".truth.json", &tr)
	// The whole file's run is the one TestEveryMessageOnce makes too
	// (--crosscheck added changes nothing compared here).
	whole := shared(t, Options{Files: []string{path}}, 1)
	if whole.res.Total.Matched != len(tr.Exchanges) || whole.res.Total.UnmatchedRequests+whole.res.Total.OrphanResponses != 0 {
		t.Fatalf("whole file: %+v, truth %d exchanges", whole.res.Total, len(tr.Exchanges))
	}
	burst := firstCut(tr.Packets, func(b int) bool { return ringcut.InsideBurst(&tr, b) != nil })
	body := firstCut(tr.Packets, func(b int) bool { return ringcut.InsideBody(&tr, b) != "" })
	if burst == 0 || body == 0 {
		t.Fatalf("the capture should have a pipelined burst and a multi-segment body to cut: %d %d", burst, body)
	}
	cuts := map[string][]ringcut.Piece{
		"burst+body": ringcut.CutAt(t, path, min(burst, body), max(burst, body)+1),
	}
	for _, n := range []int{37, 150, tr.Packets/7 + 1} {
		cuts[fmt.Sprintf("editcap -c %d", n)] = ringcut.Cut(t, path, n)
	}
	for name, ps := range cuts {
		if len(ps) < 2 {
			t.Fatalf("%s: %d pieces", name, len(ps))
		}
		for _, jobs := range []int{1, 2} {
			got := ringRun(t, ringcut.Paths(ps), ps, jobs)
			same(t, fmt.Sprintf("%s (%d files) --jobs %d", name, len(ps), jobs), whole, got)
			if !strings.Contains(got.warns, "read as one capture") {
				t.Errorf("%s: no word that the files were joined: %q", name, got.warns)
			}
		}
	}
	ps := cuts["burst+body"]
	rev := ringcut.Paths(ps)
	slices.Reverse(rev)
	got := ringRun(t, rev, ps, 1)
	same(t, "pieces given in reverse", whole, got)
	if !strings.Contains(got.warns, "not given in time order") {
		t.Errorf("reverse order: no warning: %q", got.warns)
	}
}

// TestRingShared: a real capture (1000 requests on keep-alive
// connections, one response dropped) cut into seven pieces.
func TestRingShared(t *testing.T) {
	path := testutil.Shared(t, "http/zeek_1000-requests-one-dropped-response.pcap")
	whole := shared(t, Options{Files: []string{path}}, 1)
	total := ringcut.Describe(t, []string{path})[0].Packets
	ps := ringcut.Cut(t, path, total/7+1)
	for _, jobs := range []int{1, 2} {
		same(t, fmt.Sprintf("%d pieces --jobs %d", len(ps), jobs), whole, ringRun(t, ringcut.Paths(ps), ps, jobs))
	}
}

// TestOverlappingIndependent: captures whose times overlap are not one
// capture; they are measured apart, as before, and the report says so.
func TestOverlappingIndependent(t *testing.T) {
	files := []string{testutil.Testdata("http", "synth-loss-reorder.pcapng"), testutil.Testdata("http", "synth-gaps-v6.pcap")}
	got := ringRun(t, files, nil, 1)
	if !strings.Contains(got.warns, "independent captures") {
		t.Errorf("no word that the files were measured apart: %q", got.warns)
	}
}

// TestRingCrosscheckNames: --crosscheck on ring pieces names the pieces
// (frames counted from each piece's start), never the temporary joined
// file.
func TestRingCrosscheckNames(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	path := testutil.Testdata("http", "synth-ring.pcapng")
	ps := ringcut.Cut(t, path, 150)
	files := ringcut.Paths(ps)
	res, err := Run(t.Context(), Options{Files: files, Crosscheck: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Crosscheck == nil || len(res.Crosscheck.Disagreements) == 0 {
		t.Fatal("pipelined capture: want disagreements to check")
	}
	for _, d := range res.Crosscheck.Disagreements {
		if !slices.Contains(files, d.File) || d.Request.Frame < 1 || d.Request.Frame > 150 {
			t.Errorf("disagreement in %q frame %d: not a piece's own frame", d.File, d.Request.Frame)
		}
	}
}

// TestRingPieceCutShort: a piece cut in the middle of a packet (a ring
// file whose writer was killed) ends at the cut in the joined copy, which
// is itself whole; the report must still be partial and name the piece.
func TestRingPieceCutShort(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	ps := ringcut.Cut(t, testutil.Testdata("http", "synth-ring.pcapng"), 150)
	st, err := os.Stat(ps[0].Path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(ps[0].Path, st.Size()-20); err != nil {
		t.Fatal(err)
	}
	got := ringRun(t, ringcut.Paths(ps), nil, 1)
	if !got.res.Partial {
		t.Error("a piece cut short: the result is not marked partial")
	}
	if !strings.Contains(got.warns, ps[0].Path+": the capture is cut short") {
		t.Errorf("the warning does not name the piece cut short: %q", got.warns)
	}
}
