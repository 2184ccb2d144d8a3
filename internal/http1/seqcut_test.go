package http1

import (
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// passOne runs the pairer with reconciliation on and returns what it
// emitted and the connections it left to reconciliation.
func passOne(t *testing.T, pk []Packet) ([]exchange.Exchange, map[int64]Cut) {
	t.Helper()
	var out []exchange.Exchange
	p := NewPairer(Options{Mode: PairTuple, Reconcile: true}, func(e *exchange.Exchange) error { out = append(out, *e); return nil })
	for i := range pk {
		if err := p.Add(&pk[i]); err != nil {
			t.Fatal(err)
		}
	}
	tally, err := p.Flush()
	if err != nil {
		t.Fatal(err)
	}
	return out, tally.Gappy
}

// reconciled runs the SeqPairer over pk (rows of the desegmentation-off
// run: every message reported on the segment it begins in) for cuts.
func reconciled(t *testing.T, cuts map[int64]Cut, pk []Packet) []exchange.Exchange {
	t.Helper()
	sp := NewSeqPairer(cuts)
	for i := range pk {
		sp.Add(&pk[i])
	}
	var out []exchange.Exchange
	if _, err := sp.Flush(func(e *exchange.Exchange) error { out = append(out, *e); return nil }); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestUnparsedRequestIsReconciled is zeek_putty-upload_8080.pcap's second
// connection: an upload whose body never completes (the server answers
// mid-upload and closes), so tshark, reassembling, never reports the
// request, only the answer. Pass 1 must not call the answer an orphan
// but leave the connection to reconciliation, where the request is
// reported on its first segment and pairs by sequence numbers; its last
// byte (short of its Content-Length) is unknown.
func TestUnparsedRequestIsReconciled(t *testing.T) {
	c := newConn()
	c.data(true, 869)
	c.data(true, 16384)
	c.add(false, 93, parse.FlagFIN, nil, []int{200}, 0)
	c.add(false, 0, parse.FlagRST, nil, nil, 0)
	out, cuts := passOne(t, c.pk)
	if len(out) != 0 || len(cuts) != 1 {
		t.Fatalf("pass 1 emitted %d exchanges, left %v to reconciliation; want none and connection 0", len(out), cuts)
	}
	// The same packets as the desegmentation-off run reports them.
	c.pk[2].Methods, c.pk[2].URIs, c.pk[2].Hosts = []string{"POST"}, []string{"/upload"}, []string{"h"}
	c.pk[2].Bodies = []exchange.Size{exchange.Bytes(1648120)}
	got := reconciled(t, cuts, c.pk)
	if len(got) != 1 {
		t.Fatalf("reconciled %d exchanges, want 1: %+v", len(got), got)
	}
	e := got[0]
	if e.Kind != exchange.Matched || e.ReqFirstFrame != 3 || e.RespFirstFrame != 5 || !e.ReqLastUnknown || e.RespLastUnknown {
		t.Errorf("got %s req %d resp %d, req last unknown %v, resp last unknown %v; want matched 3 → 5, request last unknown",
			e.Kind, e.ReqFirstFrame, e.RespFirstFrame, e.ReqLastUnknown, e.RespLastUnknown)
	}
}

// TestTruncatedResponseLastUnknown is sanders_latency1.pcapng's shape: the
// capture ends after a response's first segment. Pass 1 leaves the
// connection to reconciliation (a response begun, never completed); there
// the response's first byte is exact but its last is not in the capture,
// whether its Content-Length says so or, without one, only pass 1 knew
// (RespOpen). A HEAD response's Content-Length promises no body. A
// response 20 bytes longer than its body cannot be whole: its status line,
// Content-Length line and blank line take at least 27 (with 16, the
// shortest header block of any message, it passed for complete); 27 is
// still whole.
func TestTruncatedResponseLastUnknown(t *testing.T) {
	for _, tc := range []struct {
		name    string
		method  string
		body    exchange.Size
		len     int // the response's bytes captured (0: 1406)
		open    bool
		unknown bool
	}{
		{"content-length", "GET", exchange.Bytes(4633), 0, false, true},
		{"chunked, pass 1 saw it open", "GET", exchange.Size{}, 0, true, true},
		{"complete", "GET", exchange.Bytes(50), 50 + 180, false, false},
		{"complete, shortest headers", "GET", exchange.Bytes(50), 50 + 27, false, false},
		{"cut inside the headers' margin", "GET", exchange.Bytes(50), 50 + 20, false, true},
		{"HEAD", "HEAD", exchange.Bytes(4633), 0, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConn()
			c.add(true, 100, 0, []string{tc.method}, nil, 0)
			r := c.add(false, 1406, 0, nil, []int{200}, 0)
			r.Bodies = []exchange.Size{tc.body}
			if tc.len > 0 {
				r.Len = tc.len
			}
			got := reconciled(t, map[int64]Cut{0: {RespOpen: tc.open}}, c.pk)
			if len(got) != 1 || got[0].Kind != exchange.Matched || got[0].RespFirstFrame != 4 {
				t.Fatalf("got %+v; want one match answered at frame 4", got)
			}
			if got[0].RespLastUnknown != tc.unknown || got[0].RespWire.Known == tc.unknown {
				t.Errorf("last byte unknown %v, wire %+v; want unknown %v", got[0].RespLastUnknown, got[0].RespWire, tc.unknown)
			}
		})
	}
}

// TestTruncatedConnectionIsOpen: pass 1 marks RespOpen on a hole-free
// connection whose last response tshark never completed.
func TestTruncatedConnectionIsOpen(t *testing.T) {
	c := newConn()
	c.req(100)
	c.add(false, 1406, 0, nil, nil, 0) // "segment of a reassembled PDU", never completed
	out, cuts := passOne(t, c.pk)
	if len(out) != 0 || !cuts[0].RespOpen {
		t.Errorf("pass 1 emitted %d, cuts %+v; want none and connection 0 open", len(out), cuts)
	}
}

// TestUnparsedFirstRequest is zeek_methods.pcap's malformed request lines
// ("GET/ HTTP/1.1"): tshark parses no request from the client's first
// bytes, the server answers 400 from where it stood when they came, so
// they are the request it answers (method unknown). Without the client's
// SYN those bytes may be the tail of a request sent before the capture
// began, so the answer stays an orphan.
func TestUnparsedFirstRequest(t *testing.T) {
	for _, syn := range []bool{true, false} {
		c := &b{cseq: 1, sseq: 1}
		if syn {
			c = newConn()
		}
		c.data(true, 38)
		c.add(false, 1068, parse.FlagFIN, nil, []int{400}, 0)
		out, cuts := passOne(t, c.pk)
		if len(out) != 0 || len(cuts) != 1 {
			t.Fatalf("syn %v: pass 1 emitted %d, cuts %v; want the connection left to reconciliation", syn, len(out), cuts)
		}
		got := reconciled(t, cuts, c.pk)
		want := exchange.Orphan
		if syn {
			want = exchange.Matched
		}
		if len(got) != 1 || got[0].Kind != want || got[0].Method != "" || got[0].RespFirstFrame != c.pk[len(c.pk)-1].Frame {
			t.Errorf("syn %v: got %+v; want one %s", syn, got, want)
		}
		if syn && (got[0].ReqFirstFrame != 3 || got[0].TTFB() != 0.001) {
			t.Errorf("request first frame %d, ttfb %v; want 3 and 1 ms", got[0].ReqFirstFrame, got[0].TTFB())
		}
	}
}

// TestUnansweredReasons: an unanswered request says why: the connection
// was reset, closed by both sides, or still open when the capture ended.
func TestUnansweredReasons(t *testing.T) {
	for _, tc := range []struct {
		end  func(c *b)
		want string
	}{
		{func(c *b) { c.add(false, 0, parse.FlagRST, nil, nil, 0) }, "reset"},
		{func(c *b) {
			c.add(true, 0, parse.FlagFIN, nil, nil, 0)
			c.add(false, 0, parse.FlagFIN, nil, nil, 0)
		}, "closed"},
		{func(*b) {}, "capture_end"},
	} {
		c := newConn()
		c.req(100)
		tc.end(c)
		out, _ := run(t, PairTuple, c.pk)
		if len(out) != 1 || out[0].Kind != exchange.Unmatched || out[0].Unanswered != tc.want {
			t.Errorf("got %+v; want one unanswered %q", out, tc.want)
		}
	}
}

// TestEarlyAnswerAfterInterim is curl's POST with Expect: 100-continue to
// a server that sends 100 Continue, then refuses the upload (413) and
// closes before any body byte was sent: tshark never reports the request
// (its body never comes). Reconciled, the answer begins at the 100
// Continue, where the request's acknowledgement points, so the request is
// answered by the 413 with one interim response, its ttfb to the 413's
// first byte. (A 103 Early Hints before the final response is the same.)
// Without counting the 1xx as the answer's start, the request was reported
// lost in a gap and the 413 an orphan.
func TestEarlyAnswerAfterInterim(t *testing.T) {
	c := newConn()
	c.data(true, 176)
	c.add(false, 25, 0, nil, []int{100}, 0)
	c.add(false, 152, 0, nil, []int{413}, 0)
	c.add(false, 0, parse.FlagFIN, nil, nil, 0)
	out, cuts := passOne(t, c.pk)
	if len(out) != 0 || len(cuts) != 1 {
		t.Fatalf("pass 1 emitted %d exchanges, left %v to reconciliation; want none and connection 0", len(out), cuts)
	}
	c.pk[2].Methods, c.pk[2].URIs, c.pk[2].Hosts = []string{"POST"}, []string{"/early"}, []string{"h"}
	c.pk[2].Bodies = []exchange.Size{exchange.Bytes(2000000)}
	got := reconciled(t, cuts, c.pk)
	if len(got) != 1 {
		t.Fatalf("reconciled %d exchanges, want 1: %+v", len(got), got)
	}
	e := got[0]
	if e.Kind != exchange.Matched || e.Status != 413 || e.Interim != 1 || e.ReqFirstFrame != 3 || e.RespFirstFrame != 5 || e.TTFB() != 0.002 {
		t.Errorf("got %s %d (interim %d) req %d resp %d ttfb %v; want matched 413 (interim 1) 3 → 5, ttfb 2 ms",
			e.Kind, e.Status, e.Interim, e.ReqFirstFrame, e.RespFirstFrame, e.TTFB())
	}
}

// TestPipelinedCutSkipsEmitted: three requests pipelined in one segment
// (GET, HEAD, GET); tshark completes the first response, then takes the
// HEAD's Content-Length for a body and never reports another, so the
// connection is reconciled from the HEAD on. The cut must fall between
// the batch's requests (start + i, as the reconciliation counts them):
// with every request of the segment at the segment's start, the
// reconciliation re-reported the GET pass 1 had already matched (a real
// pipelined capture gave 15 exchanges for 10 requests).
func TestPipelinedCutSkipsEmitted(t *testing.T) {
	c := newConn()
	c.add(true, 120, 0, []string{"GET", "HEAD", "GET"}, nil, 0)
	c.add(false, 120, 0, nil, []int{200}, 0)
	c.data(false, 110) // the HEAD's answer: headers only
	c.data(false, 130) // the last GET's, swallowed as the HEAD's "body"
	out, cuts := passOne(t, c.pk)
	if len(out) != 1 || len(cuts) != 1 {
		t.Fatalf("pass 1 emitted %d, cuts %v; want the first exchange and connection 0 left to reconciliation", len(out), cuts)
	}
	c.pk[4].Codes, c.pk[5].Codes = []int{200}, []int{200}
	got := reconciled(t, cuts, c.pk)
	if len(got) != 2 || got[0].Method != "HEAD" || got[0].RespFirstFrame != 5 || got[1].RespFirstFrame != 6 {
		t.Errorf("reconciled %+v; want the HEAD (answered at frame 5) and the last GET (frame 6) only", got)
	}
}

// TestHeadStallLastResponse is TestPipelinedCutSkipsEmitted's connection
// with the last GET's response (Content-Length 90, after 40 bytes of
// headers) ending in the server's FIN: pass 1 marks it never finished
// (RespOpen), but only because tshark stalled on the HEAD's answer, so
// the reconciliation's own verdict stands: its last byte is known when
// its bytes reach its Content-Length, unknown when they do not. Without a
// stall to explain it (the HEAD's Content-Length 0) pass 1's RespOpen
// stands.
func TestHeadStallLastResponse(t *testing.T) {
	for _, tc := range []struct {
		name       string
		head, last int64 // Content-Lengths of the HEAD's and the last GET's responses
		unknown    bool
	}{
		{"stall, complete", 500, 90, false},
		{"stall, cut short", 500, 5000, true},
		{"no stall", 0, 90, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newConn()
			c.add(true, 120, 0, []string{"GET", "HEAD", "GET"}, nil, 0)
			c.add(false, 120, 0, nil, []int{200}, 0)
			c.data(false, 110)
			c.data(false, 130)
			c.add(false, 0, parse.FlagFIN, nil, nil, 0)
			out, cuts := passOne(t, c.pk)
			if len(out) != 1 || len(cuts) != 1 || !cuts[0].RespOpen {
				t.Fatalf("pass 1 emitted %d, cuts %+v; want the first exchange and connection 0 open", len(out), cuts)
			}
			c.pk[4].Codes, c.pk[5].Codes = []int{200}, []int{200}
			c.pk[4].Bodies = []exchange.Size{exchange.Bytes(tc.head)}
			c.pk[5].Bodies = []exchange.Size{exchange.Bytes(tc.last)}
			got := reconciled(t, cuts, c.pk)
			if len(got) != 2 || got[1].RespFirstFrame != 6 {
				t.Fatalf("reconciled %+v; want the HEAD and the last GET (answered at frame 6)", got)
			}
			if got[1].RespLastUnknown != tc.unknown {
				t.Errorf("last response's last byte unknown %v; want %v", got[1].RespLastUnknown, tc.unknown)
			}
		})
	}
}
