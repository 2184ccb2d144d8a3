package httplat

import (
	"io"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// adjudicated is one exchange of a shared public capture as decided by
// reading its packets (sequence and acknowledgement numbers, which
// request each response's first byte follows), where pcapmeter and a
// naive in-order pairing of tshark's reported messages disagreed.
type adjudicated struct {
	stream int64
	// h2 is the HTTP/2 stream (0: HTTP/1), which tells apart the
	// requests one frame carries.
	h2 uint32
	// req and resp are the frames holding the request's and the
	// response's first byte (0: none).
	req, resp int64
	kind      exchange.Kind
	ttfb      float64 // seconds, to the microsecond; matched only
	// respLast, reqLast: whether the last byte is in the capture.
	respLastUnknown, reqLastUnknown bool
	unanswered                      string // the reason of an unanswered one
	interim                         int    // 1xx responses before the final one
}

// adjudicatedCaptures: per shared capture, the exchanges decided by hand
// and the totals every request and response must add up to.
var adjudicatedCaptures = []struct {
	file                       string
	requests, matched, orphans int
	exchanges                  []adjudicated
}{
	// The upload's body never completes (the server answers mid-upload
	// and resets), so tshark never reports POST /upload; it began in
	// frame 16 and frame 27 answers it.
	{"http/zeek_putty-upload_8080.pcap", 2, 2, 0, []adjudicated{
		{stream: 1, req: 16, resp: 27, kind: exchange.Matched, ttfb: 0.001368, reqLastUnknown: true},
	}},
	// Malformed request lines tshark does not parse ("OPTIONSHTTP/1.1",
	// "GET/ HTTP/1.1"), each the first bytes of a fresh connection, which
	// the server answers 400: requests of unknown method, answered.
	{"http/zeek_methods.pcap", 49, 49, 0, []adjudicated{
		{stream: 2, req: 24, resp: 26, kind: exchange.Matched, ttfb: 0.020241},
		{stream: 7, req: 182, resp: 184, kind: exchange.Matched, ttfb: 0.019337},
		{stream: 3, req: 34, resp: 36, kind: exchange.Matched, ttfb: 0.020799},
	}},
	// Requests only, one connection each: unanswered, the capture ended.
	{"http/ndpi_WebattackRCE_requests-only.pcap", 797, 0, 0, []adjudicated{
		{stream: 0, req: 1, kind: exchange.Unmatched, unanswered: "capture_end"},
	}},
	// The capture ends after the response's first segment (Content-Length
	// 4633, 1406 bytes captured): tshark reports no response, ttfb is
	// exact, ttlb unknown.
	{"tcp/sanders_latency1.pcapng", 1, 1, 0, []adjudicated{
		{stream: 0, req: 4, resp: 6, kind: exchange.Matched, ttfb: 0.070954, respLastUnknown: true},
	}},
	{"tcp/sanders_latency2.pcapng", 1, 1, 0, []adjudicated{
		{stream: 0, req: 4, resp: 6, kind: exchange.Matched, ttfb: 1.171094, respLastUnknown: true},
	}},
	{"tcp/sanders_latency3.pcapng", 1, 1, 0, []adjudicated{
		{stream: 0, req: 4, resp: 6, kind: exchange.Matched, ttfb: 0.062303, respLastUnknown: true},
	}},
	// The first response's status line and headers (server bytes 1-238)
	// are missing; frame 7 is its body. Every later response follows
	// its own request.
	{"http/zeek_1000-requests-one-dropped-response.pcap", 1000, 999, 0, []adjudicated{
		{stream: 0, req: 4, kind: exchange.Unmatched, unanswered: "response_lost"},
		{stream: 0, req: 9, resp: 11, kind: exchange.Matched, ttfb: 0.000078},
	}},
	// Connections begun mid-response (51, 60, 61: the first request's
	// answer starts in server bytes never captured) and responses cut by
	// the capture's end (17, 39, 59: Content-Length far beyond the
	// captured bytes).
	{"http/ndpi_1kxun.pcap", 133, 121, 0, []adjudicated{
		{stream: 51, req: 1162, kind: exchange.Unmatched, unanswered: "response_lost"},
		{stream: 51, req: 1292, resp: 1301, kind: exchange.Matched, ttfb: 0.181164},
		{stream: 60, req: 1351, kind: exchange.Unmatched, unanswered: "response_lost"},
		{stream: 60, req: 1419, resp: 1435, kind: exchange.Matched, ttfb: 0.208026},
		{stream: 61, req: 1352, kind: exchange.Unmatched, unanswered: "response_lost"},
		{stream: 61, req: 1395, resp: 1406, kind: exchange.Matched, ttfb: 0.224224},
		{stream: 17, req: 577, resp: 582, kind: exchange.Matched, ttfb: 0.067257, respLastUnknown: true},
		{stream: 39, req: 1057, resp: 1058, kind: exchange.Matched, ttfb: 0.233876, respLastUnknown: true},
		{stream: 59, req: 1350, resp: 1361, kind: exchange.Matched, ttfb: 0.216812, respLastUnknown: true},
	}},
	// A hole in the first response's body (server bytes 7241-14481):
	// tshark never completes it, so its in-order pairing shifts by one.
	{"http/zeek_bro.org.pcap", 31, 31, 0, []adjudicated{
		{stream: 2, req: 58, resp: 97, kind: exchange.Matched, ttfb: 0.077617, respLastUnknown: true},
		{stream: 2, req: 209, resp: 243, kind: exchange.Matched, ttfb: 0.077362},
	}},
	{"http/sanders_http_espn.pcapng", 61, 61, 0, []adjudicated{
		{stream: 3, req: 578, resp: 611, kind: exchange.Matched, ttfb: 0.011978, respLastUnknown: true},
		{stream: 3, req: 892, resp: 893, kind: exchange.Matched, ttfb: 0.011019},
	}},
	// 19: the response's segments arrive reordered (frame 589, server
	// byte 11581, comes 3 µs before frame 592, byte 1); 35: a reused
	// port whose response tshark flags as a retransmission.
	{"http/suricata_browsing-mixed-tls-subjectaltname.pcap", 37, 37, 0, []adjudicated{
		{stream: 15, req: 382, resp: 790, kind: exchange.Matched, ttfb: 0.142746},
		{stream: 19, req: 415, resp: 592, kind: exchange.Matched, ttfb: 0.076447},
		{stream: 19, req: 833, resp: 1852, kind: exchange.Matched, ttfb: 1.703819},
		{stream: 27, req: 634, resp: 1016, kind: exchange.Matched, ttfb: 0.073689},
		{stream: 35, req: 1998, resp: 2005, kind: exchange.Matched, ttfb: 0.070995},
	}},
	{"tcp/zeek_206_example_b_bulk-wan.pcap", 3, 3, 0, []adjudicated{
		{stream: 0, req: 4, resp: 5, kind: exchange.Matched, ttfb: 0.072867},
		{stream: 0, req: 956, resp: 957, kind: exchange.Matched, ttfb: 0.07223},
	}},
	// Every segment is captured twice or more; tshark dissects the
	// copies of two responses (frames 42, 86) again. The first
	// transmission is what is timed.
	{"tcp/arkime_wireshark-retrans_4000.pcap", 4, 4, 0, []adjudicated{
		{stream: 0, req: 8, resp: 25, kind: exchange.Matched, ttfb: 0.076662},
		{stream: 0, req: 33, resp: 41, kind: exchange.Matched, ttfb: 0.079523},
		{stream: 0, req: 53, resp: 65, kind: exchange.Matched, ttfb: 0.084208},
		{stream: 0, req: 73, resp: 85, kind: exchange.Matched, ttfb: 0.081068},
	}},
	// The capture begins with a response (frames 1-3).
	{"odd/ndpi_http_starting_with_reply.pcapng", 2, 2, 1, []adjudicated{
		{stream: 0, resp: 1, kind: exchange.Orphan},
		{stream: 0, req: 5, resp: 7, kind: exchange.Matched, ttfb: 0.000933},
		{stream: 0, req: 11, resp: 13, kind: exchange.Matched, ttfb: 0.000839},
	}},
	// Round 2: HTTP/2, odd link types, sampled and no-SYN captures.
	// The Upgrade: h2c request (frame 5) is answered 101 (frame 7),
	// its interim response, then 206 on stream 1 (frame 23).
	{"http/h2c/suricata_http2-range_8080.pcap", 5, 5, 0, []adjudicated{
		{stream: 0, h2: 1, req: 5, resp: 23, kind: exchange.Matched, ttfb: 0.006107, interim: 1},
		{stream: 1, req: 35, resp: 37, kind: exchange.Matched, ttfb: 0.000223},
	}},
	// One request (stream 13, its 16 KiB HEADERS and CONTINUATION span
	// frames 4-24); the server pushes /stylesheets/screen.css on stream
	// 2 (PUSH_PROMISE frame 26), counted as a push, not an exchange.
	// Stream 13's response is HEADERS frame 28, not the PUSH_PROMISE.
	{"http/h2c/arkime_http2-nghttp2.pcap", 1, 1, 0, []adjudicated{
		{stream: 0, h2: 13, req: 4, resp: 28, kind: exchange.Matched, ttfb: 0.834995, reqLastUnknown: true},
	}},
	// DNS over HTTPS/2 in the clear: 34 POSTs on one connection (the
	// idle PRIORITY-only streams 3-13 are no requests); 57 and 59 are
	// answered out of order.
	{"http/h2c/suricata_dns_over_http2_POST.pcap", 34, 34, 0, []adjudicated{
		{stream: 0, h2: 15, req: 6, resp: 10, kind: exchange.Matched, ttfb: 0.047428},
		{stream: 0, h2: 57, req: 92, resp: 98, kind: exchange.Matched, ttfb: 0.05073},
		{stream: 0, h2: 59, req: 94, resp: 96, kind: exchange.Matched, ttfb: 0.017747},
	}},
	// A sampled capture: only 11 of the server segments hold a status
	// line; each of the other 65 requests is followed by server bytes
	// (a later segment, or the client's ACK) beyond its request's ACK
	// number, so its response was sent and lost; the last requests of
	// six connections have no later server byte at all. Checked for all
	// 82 requests by script.
	{"odd/ndpi_quickplay_sll-http.pcap", 82, 11, 0, []adjudicated{
		{stream: 0, req: 1, resp: 2, kind: exchange.Matched, ttfb: 0.099975},
		{stream: 8, req: 22, kind: exchange.Unmatched, unanswered: "response_lost"},
		{stream: 8, req: 23, kind: exchange.Unmatched, unanswered: "response_lost"},
		{stream: 10, req: 29, kind: exchange.Unmatched, unanswered: "response_lost"},
		{stream: 10, req: 104, kind: exchange.Unmatched, unanswered: "capture_end"},
		{stream: 16, req: 112, kind: exchange.Unmatched, unanswered: "capture_end"},
	}},
	// The upload's first byte is frame 2504 (tshark reports it at 2663,
	// its last segment); the capture is cut mid-packet after it.
	{"odd/suricata_http-mime-truncated.pcap", 8, 8, 0, []adjudicated{
		{stream: 0, req: 2504, resp: 2694, kind: exchange.Matched, ttfb: 1.499557},
	}},
	// NFLOG gives every packet of the exchange the same timestamp.
	{"odd/zeek_nflog-http.pcap", 1, 1, 0, []adjudicated{
		{stream: 0, req: 6, resp: 8, kind: exchange.Matched, ttfb: 0},
	}},
}

// TestAdjudicatedExchanges checks the hand-adjudicated exchanges of the
// shared captures, exactly: which request each response answers, first
// byte frames, ttfb to the microsecond, unanswered reasons, and which last
// bytes are unknown; and that requests and responses balance. It reuses
// the runs TestEveryMessageOnce makes.
func TestAdjudicatedExchanges(t *testing.T) {
	t.Parallel()
	for _, c := range adjudicatedCaptures {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			opt := Options{Files: []string{testutil.Shared(t, c.file)}}
			if strings.Contains(c.file, "_4000") {
				opt.HTTPPorts = []uint16{4000} // as TestSharedCaptures: one run for both
			}
			o := shared(t, opt, 1)
			if o.res == nil {
				t.Fatal("no result")
			}
			n := o.res.Total
			if n.Requests != c.requests || n.Matched != c.matched || n.UnmatchedRequests != c.requests-c.matched || n.OrphanResponses != c.orphans {
				t.Errorf("counts %+v; want %d requests, %d matched, %d unanswered, %d orphans", n, c.requests, c.matched, c.requests-c.matched, c.orphans)
			}
			for _, want := range c.exchanges {
				checkAdjudicated(t, o.exs, want)
			}
		})
	}
}

func checkAdjudicated(t *testing.T, exs []exchange.Exchange, want adjudicated) {
	t.Helper()
	for _, e := range exs {
		if e.Stream != want.stream || e.StreamID != want.h2 || (want.req != 0 && e.ReqFirstFrame != want.req) ||
			(want.req == 0 && (e.Kind != exchange.Orphan || e.RespFirstFrame != want.resp)) {
			continue
		}
		got := adjudicated{stream: e.Stream, h2: e.StreamID, req: e.ReqFirstFrame, kind: e.Kind, interim: e.Interim,
			respLastUnknown: e.RespLastUnknown, reqLastUnknown: e.ReqLastUnknown, unanswered: e.Unanswered}
		if e.Kind != exchange.Unmatched {
			got.resp = e.RespFirstFrame
		}
		if e.Kind == exchange.Matched {
			got.ttfb = math.Round(e.TTFB()*1e6) / 1e6
		}
		if e.Kind == exchange.Orphan {
			got.req, got.respLastUnknown = 0, want.respLastUnknown
		}
		if got.unanswered == "" && e.ResponseLost {
			got.unanswered = "response_lost"
		}
		if got != want {
			t.Errorf("stream %d request frame %d:\n got %+v\nwant %+v", want.stream, want.req, got, want)
		}
		return
	}
	t.Errorf("stream %d: no exchange with request frame %d / response frame %d", want.stream, want.req, want.resp)
}

// TestSyntheticCutMidResponse is sanders_latency1-3's and ndpi_1kxun's
// shape with exact truth: the capture ends halfway through each
// connection's last response (Content-Length far beyond the captured
// bytes). Its first byte is exact; its last byte is not in the capture, so
// ttlb and the wire size are unknown, as the synthetic writer's truth says.
func TestSyntheticCutMidResponse(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	c := synth.Default()
	c.Seed, c.Conns, c.PerConn, c.Detail = 52, 2, 3, true
	c.BodyMin, c.BodyMax = 40000, 60000
	tr, err := synth.Generate(c, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	last := tr.Exchanges[0]
	for _, e := range tr.Exchanges {
		if e.RespFirst > last.RespFirst {
			last = e
		}
	}
	c.StopAfter = time.Duration((last.RespFirst+last.RespLast)/2 - c.Start.UnixNano())
	path := filepath.Join(t.TempDir(), "cut.pcapng")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if tr, err = synth.Generate(c, f); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	cut := 0
	for _, te := range tr.Exchanges {
		if te.Expect == synth.ExpectMatched && te.TTLBUnknown {
			cut++
		}
	}
	if cut == 0 {
		t.Fatal("the synthetic capture cuts no response; the test checks nothing")
	}
	o := run(Options{Files: []string{path}, Mode: tshark.Columns}, 1)
	if o.err != nil {
		t.Fatal(o.err)
	}
	exs := map[string]exchange.Exchange{}
	for _, e := range o.exs {
		exs[e.URI] = e
	}
	for _, te := range tr.Exchanges {
		checkImperfect(t, te, exs, nil, false)
	}
}

// TestH2CutByCaptureEnd: the DNS-over-HTTP/2 capture cut after frame 98,
// where stream 57's response HEADERS are and its END_STREAM DATA (frame
// 100) is not: answered, ttfb as in the whole capture, last byte unknown,
// as HTTP/1's responses cut by the capture's end are. Stream 59, answered
// in frames 96-97, is complete.
func TestH2CutByCaptureEnd(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	whole := testutil.Shared(t, "http/h2c/suricata_dns_over_http2_POST.pcap")
	cut := filepath.Join(t.TempDir(), "doh-1-98.pcap")
	if b, err := exec.Command("editcap", "-r", whole, cut, "1-98").CombinedOutput(); err != nil {
		t.Skipf("editcap: %v %s", err, b)
	}
	o := runJobs(t, Options{Files: []string{cut}}, 1)
	if n := o.res.Total; n.Requests != 23 || n.Matched != 23 || n.OrphanResponses != 0 {
		t.Errorf("counts %+v; want 23 requests, all matched", n)
	}
	checkAdjudicated(t, o.exs, adjudicated{stream: 0, h2: 57, req: 92, resp: 98, kind: exchange.Matched, ttfb: 0.05073, respLastUnknown: true})
	checkAdjudicated(t, o.exs, adjudicated{stream: 0, h2: 59, req: 94, resp: 96, kind: exchange.Matched, ttfb: 0.017747})
}

// TestH2ResetMidResponse: https2-v4's streams reset by RST_STREAM after
// their response HEADERS (a client CANCEL, a server INTERNAL_ERROR
// mid-body) were answered: ttfb exact, last byte unknown; one reset
// before any response stays unanswered. It reuses TestHTTP2Pass's run.
func TestH2ResetMidResponse(t *testing.T) {
	t.Parallel()
	dir := testutil.Testdata("h2")
	o := shared(t, Options{Files: []string{filepath.Join(dir, "https2-v4.pcapng")}, KeyLogs: []string{filepath.Join(dir, "https2-v4.pcapng.keylog")}}, 1)
	for _, want := range []adjudicated{
		{stream: 0, h2: 35, req: 101, resp: 277, kind: exchange.Matched, ttfb: 0.048931, respLastUnknown: true},
		{stream: 0, h2: 39, req: 111, resp: 161, kind: exchange.Matched, ttfb: 0.016957, respLastUnknown: true},
		{stream: 0, h2: 15, req: 62, kind: exchange.Unmatched, unanswered: "reset"},
	} {
		checkAdjudicated(t, o.exs, want)
	}
}
