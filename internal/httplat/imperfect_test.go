package httplat

import (
	"fmt"
	"net/netip"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

func nsText(ns int64) string { return fmt.Sprintf("%d.%09d", ns/1e9, ns%1e9) }

// TestImperfectCaptures compares every exchange of the synthetic captures
// of issue #11 (body gaps, client-side gaps, mirror loss in GRE/ERSPAN, a
// gap plus a filled hole, resets) with their exact truth: verdict, reason
// (response in a gap or not), frame pairs, first-byte times to the
// nanosecond, and ttlb undefined exactly where the capture lacks bytes.
func TestImperfectCaptures(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"synth-body-gaps.pcapng", "synth-mirror-loss.pcapng", "synth-mirror-gre.pcap",
		"synth-mirror-erspan2.pcapng", "synth-mirror-erspan3.pcapng", "synth-gap-and-hole.pcapng",
		"synth-reset-end.pcapng", "synth-client-gaps.pcapng", "synth-pipelined-gaps.pcapng",
		"synth-pipelined-hidden.pcapng",
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			path := testutil.Testdata("http", name)
			var truth synth.Truth
			testutil.ReadJSON(t, path+".truth.json", &truth)
			res, exs := measure(t, Options{Files: []string{path}, Mode: tshark.Columns})
			checkReconstructionCounts(t, res, exs)
			orphans := map[int64]exchange.Exchange{}
			for _, e := range exs {
				if e.Kind == exchange.Orphan {
					orphans[e.RespFirstFrame] = e
				}
			}
			for _, te := range truth.Exchanges {
				checkImperfect(t, te, exs, orphans, truth.Config.Pipeline > 1)
			}
			checkReconstructedSizes(t, exs)
		})
	}
}

// pipelined relaxes one check: a response whose end borders a gap ends
// where its Content-Length says, which tshark's fields here do not give,
// so its last byte is reported unknown (ttlb undefined) even where the
// truth knows it; never the reverse.
func checkImperfect(t *testing.T, te synth.Exchange, exs map[string]exchange.Exchange, orphans map[int64]exchange.Exchange, pipelined bool) {
	t.Helper()
	switch te.Expect {
	case synth.ExpectOrphan:
		if _, ok := orphans[int64(te.RespFirstFrame)]; !ok && !flaggedResp(exs, int64(te.RespFirstFrame)) {
			t.Errorf("%s: no orphan response at frame %d", te.URI, te.RespFirstFrame)
		}
		return
	case synth.ExpectInvisible:
		return
	}
	e, ok := exs[te.URI]
	if !ok {
		t.Errorf("%s: not reported (truth %s)", te.URI, te.Expect)
		return
	}
	if e.Ambiguous != "" {
		return // flagged: the capture cannot decide it
	}
	if te.Expect == synth.ExpectUnanswered {
		gap := te.Reason == synth.ReasonResponseInGap || te.Reason == synth.ReasonResponseStartInGap
		if e.Kind != exchange.Unmatched || e.ResponseLost != gap {
			t.Errorf("%s: %s lost=%v; truth unanswered, %s", te.URI, e.Kind, e.ResponseLost, te.Reason)
		}
		if want := unansweredWant[te.Reason]; e.Unanswered != want {
			t.Errorf("%s: unanswered %q; truth %s", te.URI, e.Unanswered, te.Reason)
		}
		return
	}
	if e.Kind != exchange.Matched {
		t.Errorf("%s: %s; truth matched", te.URI, e.Kind)
		return
	}
	if e.ReqFirstFrame != int64(te.ReqFirstFrame) || e.RespFirstFrame != int64(te.RespFirstFrame) {
		t.Errorf("%s: frames %d→%d; truth %d→%d", te.URI, e.ReqFirstFrame, e.RespFirstFrame, te.ReqFirstFrame, te.RespFirstFrame)
	}
	if e.ReqFirst.String() != nsText(te.ReqFirst) || e.RespFirst.String() != nsText(te.RespFirst) {
		t.Errorf("%s: first bytes %s→%s; truth %s→%s", te.URI, e.ReqFirst, e.RespFirst, nsText(te.ReqFirst), nsText(te.RespFirst))
	}
	checkSizes(t, te, e)
	if e.RespLastUnknown && !te.TTLBUnknown && pipelined {
		return
	}
	if e.RespLastUnknown != te.TTLBUnknown {
		t.Errorf("%s: last byte unknown %v; truth %v", te.URI, e.RespLastUnknown, te.TTLBUnknown)
	} else if !te.TTLBUnknown && e.RespLast.String() != nsText(te.RespLast) {
		t.Errorf("%s: last byte %s; truth %s", te.URI, e.RespLast, nsText(te.RespLast))
	}
}

// checkSizes: every size the report knows of a matched exchange is the
// truth's (Content-Length; start line, headers and body on the wire), and
// a reconstructed one carries its Content-Length, which the status line's
// segment holds.
func checkSizes(t *testing.T, te synth.Exchange, e exchange.Exchange) {
	t.Helper()
	for _, c := range []struct {
		what string
		got  exchange.Size
		want int
	}{{"request on the wire", e.ReqWire, te.ReqLen}, {"response on the wire", e.RespWire, te.RespLen}, {"response body", e.RespBody, te.BodyBytes}} {
		if c.got.Known && c.got.N != int64(c.want) {
			t.Errorf("%s: %s %d bytes; truth %d (reconstructed %v)", te.URI, c.what, c.got.N, c.want, e.Reconstructed)
		}
	}
	if e.Reconstructed && !e.RespBody.Known {
		t.Errorf("%s: reconstructed without its Content-Length", te.URI)
	}
}

// checkReconstructedSizes: reconstructed exchanges know their sizes on
// the wire where the capture holds the whole message (each capture has
// some), rather than none at all.
func checkReconstructedSizes(t *testing.T, exs map[string]exchange.Exchange) {
	t.Helper()
	var recon, req, resp int
	for _, e := range exs {
		if e.Reconstructed && e.Kind == exchange.Matched {
			recon++
			if e.ReqWire.Known {
				req++
			}
			if e.RespWire.Known {
				resp++
			}
		}
	}
	if recon > 0 && (req == 0 || resp == 0) {
		t.Errorf("%d reconstructed exchanges, %d know the request's size on the wire, %d the response's", recon, req, resp)
	}
}

// unansweredWant is exchange.Unanswered for each truth reason.
var unansweredWant = map[string]string{
	synth.ReasonResponseInGap: "response_lost", synth.ReasonResponseStartInGap: "response_lost",
	synth.ReasonCaptureEnded: "capture_end", synth.ReasonReset: "reset",
}

// checkReconstructionCounts: the counts of reconstructed, ambiguous and
// undefined-ttlb/server-time exchanges are those of the exchanges.
func checkReconstructionCounts(t *testing.T, res *Result, exs map[string]exchange.Exchange) {
	t.Helper()
	var want Counts
	for _, e := range exs {
		if e.Reconstructed {
			want.Reconstructed++
		}
		if e.Ambiguous != "" {
			want.Ambiguous++
		}
		if e.Kind == exchange.Matched && e.RespLastUnknown {
			want.TTLBUndefined++
		}
		if e.Kind == exchange.Matched && e.ReqLastUnknown {
			want.ServerTimeUndefined++
		}
	}
	c := res.Total
	got := Counts{Reconstructed: c.Reconstructed, Ambiguous: c.Ambiguous, TTLBUndefined: c.TTLBUndefined, ServerTimeUndefined: c.ServerTimeUndefined}
	if got != want {
		t.Errorf("counts %+v; the exchanges say %+v", got, want)
	}
}

// TestSharedESPN is issue #11's second real example of class 1: on
// sanders_http_espn.pcapng the server 205.234.218.129:80 has 35
// exchanges, one of them a response with a body gap.
func TestSharedESPN(t *testing.T) {
	t.Parallel()
	path := testutil.Shared(t, "http/sanders_http_espn.pcapng")
	res, _ := measureURIs(t, Options{Files: []string{path}}, false)
	s := res.Lookup(netip.MustParseAddrPort("205.234.218.129:80"))
	if s == nil || s.Counts.Matched != 35 {
		t.Fatalf("205.234.218.129:80: %+v; want 35 matched", s)
	}
}

// flaggedResp reports whether the response at frame is reported in an
// exchange flagged ambiguous.
func flaggedResp(exs map[string]exchange.Exchange, frame int64) bool {
	for _, e := range exs {
		if e.RespFirstFrame == frame && e.Ambiguous != "" {
			return true
		}
	}
	return false
}

// TestSharedBodyGap is issue #11's real example of class 1: on
// zeek_bro.org.pcap, tcp.stream 2's request at frame 58 is answered by the
// response whose status line is frame 97 (server sequence number 1, the
// acknowledgement the request carried); a gap after frame 117 is never
// filled, so the response's last byte is unknown.
func TestSharedBodyGap(t *testing.T) {
	t.Parallel()
	path := testutil.Shared(t, "http/zeek_bro.org.pcap")
	res, exs := measureURIs(t, Options{Files: []string{path}, Mode: tshark.Columns}, false)
	if res.Total.Matched != 31 || res.Total.UnmatchedRequests != 0 {
		t.Errorf("totals %+v; want 31 matched, 0 unanswered", res.Total)
	}
	found := false
	for _, e := range exs {
		if e.Stream == 2 && e.ReqFirstFrame == 58 {
			found = true
			if e.Kind != exchange.Matched || e.RespFirstFrame != 97 || !e.RespLastUnknown || !e.Reconstructed {
				t.Errorf("frame 58: %s → %d, last unknown %v, reconstructed %v; want matched → 97, unknown, reconstructed", e.Kind, e.RespFirstFrame, e.RespLastUnknown, e.Reconstructed)
			}
		}
	}
	if !found {
		t.Error("request at frame 58 not reported")
	}
}
