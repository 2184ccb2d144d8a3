package http2

import (
	"fmt"
	"net/netip"
	"reflect"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

func TestCutValues(t *testing.T) {
	tests := []struct {
		joined string
		lens   string
		want   []string // "?" = unknown
	}{
		{"200,text/plain", "3,10", []string{"200", "text/plain"}},
		{"Wed, 02 Dec 2026,0", "16,1", []string{"Wed, 02 Dec 2026", "0"}},
		// tshark leaves no trace of leading empty values, a slot for later ones.
		{"0", "0,1", []string{"", "0"}},
		{"14,,0", "0,2,0,1", []string{"", "14", "", "0"}},
		{"a,", "1,0", []string{"a", ""}},
		// A value shortened by tshark: the front and the back still place.
		{"GET,/x,abc…,z", "3,2,9000,1", []string{"GET", "/x", "?", "z"}},
		{"x", "3", []string{"?"}},
	}
	for _, tc := range tests {
		vals, known := cutValues(tc.joined, strings.Split(tc.lens, ","))
		got := make([]string, len(vals))
		for i := range vals {
			got[i] = vals[i]
			if !known[i] {
				got[i] = "?"
			}
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("cutValues(%q, %s) = %q, want %q", tc.joined, tc.lens, got, tc.want)
		}
	}
}

var (
	cli = netip.MustParseAddrPort("10.0.0.1:40000")
	srv = netip.MustParseAddrPort("10.0.0.2:443")
)

// pkt builds a packet of frames from a compact spec per frame:
// "TYPE id flags [name=value ...]".
func pkt(frame int64, ms int64, fromClient bool, frames ...string) *Packet {
	p := &Packet{Frame: frame, Time: parse.Time(ms * 1e6), Src: srv, Dst: cli}
	if fromClient {
		p.Src, p.Dst = cli, srv
	}
	for _, spec := range frames {
		w := strings.Fields(spec)
		var f Frame
		var fl int
		fmt.Sscan(w[1], &f.StreamID)
		fmt.Sscanf(w[2], "0x%x", &fl)
		f.Type, f.Flags = w[0], uint8(fl)
		for _, kv := range w[3:] {
			k, v, _ := strings.Cut(kv, "=")
			switch k {
			case "rst":
				f.RSTError = v
			case "promised":
				fmt.Sscan(v, &f.Promised)
			case "last":
				fmt.Sscan(v, &f.GoAwayLast)
			default:
				f.Headers = append(f.Headers, Header{Name: k, Value: v, Known: true})
			}
		}
		p.Frames = append(p.Frames, f)
	}
	return p
}

func req(id int, path string, flags string) string {
	return fmt.Sprintf("HEADERS %d %s :method=GET :path=%s", id, flags, path)
}

// TestPairing: streams pair by id whatever order they complete in; 1xx
// is interim; trailers end the stream without being a response; a reset
// stream is unanswered "reset"; a stream past the server's GOAWAY is cut
// by it, one below by the capture's end; pushes are not paired; a header
// block split over CONTINUATION starts at its HEADERS.
func TestPairing(t *testing.T) {
	pks := []*Packet{
		pkt(1, 0, true, req(1, "/a", "0x05"), req(3, "/b", "0x05"), req(5, "/c", "0x05")),
		pkt(2, 1, false, "HEADERS 3 0x04 :status=103"),
		pkt(3, 2, false, "HEADERS 5 0x04 :status=200", "DATA 5 0x01"),
		pkt(4, 3, false, "PUSH_PROMISE 1 0x04 :method=GET :path=/p promised=2", "HEADERS 2 0x05 :status=200"),
		pkt(5, 4, false, "HEADERS 3 0x04 :status=404", "DATA 3 0x00"),
		pkt(6, 5, false, "HEADERS 3 0x05 grpc-status=0"),
		pkt(7, 6, true, "HEADERS 7 0x01 :method=POST", "CONTINUATION 7 0x04 :path=/big"),
		pkt(8, 7, false, "RST_STREAM 1 0x00 rst=INTERNAL_ERROR"),
		pkt(9, 8, true, req(9, "/d", "0x05"), req(11, "/e", "0x05")),
		pkt(10, 9, false, "GOAWAY 0 0x00 last=9"),
	}
	var got []string
	p := NewPairer(func(e *exchange.Exchange) error {
		got = append(got, fmt.Sprintf("s%d %s %s %d interim=%d grpc=%s ttfb=%.0fms %s %s %s",
			e.StreamID, e.Method, e.URI, e.Status, e.Interim, e.GRPCStatus, e.TTFB()*1e3, e.Kind, e.Unanswered, e.Reset))
		return nil
	})
	for _, pk := range pks {
		pk.Conn = 0
		if err := p.Add(pk); err != nil {
			t.Fatal(err)
		}
	}
	st, err := p.Flush()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"s5 GET /c 200 interim=0 grpc= ttfb=2ms matched  ",
		"s3 GET /b 404 interim=1 grpc=0 ttfb=4ms matched  ",
		"s1 GET /a 0 interim=0 grpc= ttfb=0ms unmatched reset server INTERNAL_ERROR",
		"s7 POST /big 0 interim=0 grpc= ttfb=-6ms unmatched capture_end ",
		"s9 GET /d 0 interim=0 grpc= ttfb=-8ms unmatched capture_end ",
		"s11 GET /e 0 interim=0 grpc= ttfb=-8ms unmatched goaway ",
	}
	if d := diffLines(want, got); d != "" {
		t.Errorf("exchanges (-want +got):\n%s", d)
	}
	if st.Streams != 6 || st.Pushes != 1 || st.Trailers != 1 || st.Continuation != 1 || st.GoAways != 1 ||
		st.Resets["server INTERNAL_ERROR"] != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestCutByCaptureEnd: a stream whose final response HEADERS (and some
// DATA) are in when the capture ends is answered, its ttfb exact and its
// last byte unknown (at least the last DATA seen), as HTTP/1's cut
// responses are, and so is one reset mid-response; one with only an
// interim response, or nothing, stays unanswered, cut by the capture's
// end.
func TestCutByCaptureEnd(t *testing.T) {
	pks := []*Packet{
		pkt(1, 0, true, req(1, "/cut", "0x05"), req(3, "/interim", "0x05"), req(5, "/none", "0x05"), req(7, "/rst", "0x05")),
		pkt(2, 4, false, "HEADERS 1 0x04 :status=200", "HEADERS 3 0x04 :status=100", "HEADERS 7 0x04 :status=200"),
		pkt(3, 9, false, "DATA 1 0x00", "DATA 7 0x00"),
		pkt(4, 12, true, "RST_STREAM 7 0x00 rst=CANCEL"),
	}
	var got []string
	p := NewPairer(func(e *exchange.Exchange) error {
		got = append(got, fmt.Sprintf("s%d %s %d ttfb=%.0fms last=%.0fms %s %s unknown=%v incomplete=%v",
			e.StreamID, e.URI, e.Status, e.TTFB()*1e3, e.RespLast.Sub(e.ReqFirst)*1e3, e.Kind, e.Unanswered, e.RespLastUnknown, e.ResponseIncomplete))
		return nil
	})
	for _, pk := range pks {
		if err := p.Add(pk); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := p.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []string{
		"s7 /rst 200 ttfb=4ms last=9ms matched  unknown=true incomplete=false",
		"s1 /cut 200 ttfb=4ms last=9ms matched  unknown=true incomplete=false",
		"s3 /interim 0 ttfb=0ms last=0ms unmatched capture_end unknown=false incomplete=false",
		"s5 /none 0 ttfb=0ms last=0ms unmatched capture_end unknown=false incomplete=false",
	}
	if d := diffLines(want, got); d != "" {
		t.Errorf("exchanges (-want +got):\n%s", d)
	}
}

func diffLines(want, got []string) string {
	if reflect.DeepEqual(want, got) {
		return ""
	}
	return "-" + strings.Join(want, "\n-") + "\n+" + strings.Join(got, "\n+")
}

// TestMidConnection: a capture that holds a connection's responses but
// not the requests' HEADERS (it began mid-connection) reports each final
// response as an orphan, as HTTP/1 does, never drops it; a PUSH_PROMISE
// seen before any request still tells the server, so the pushed stream
// is a push, not an orphan.
func TestMidConnection(t *testing.T) {
	pks := []*Packet{
		pkt(1, 0, false, "PUSH_PROMISE 13 0x04 :method=GET :path=/s.css promised=2"),
		pkt(2, 1, false, "HEADERS 13 0x04 :status=200", "HEADERS 2 0x04 :status=200"),
		pkt(3, 2, false, "DATA 13 0x01", "DATA 2 0x01"),
		pkt(4, 3, false, "HEADERS 15 0x04 :status=100"), // interim only: no message to count
		pkt(5, 4, false, "HEADERS 17 0x04 :status=204"), // cut by the capture's end
	}
	var got []string
	p := NewPairer(func(e *exchange.Exchange) error {
		got = append(got, fmt.Sprintf("s%d %d %s frame=%d client=%s", e.StreamID, e.Status, e.Kind, e.Resp.Frame, e.Client))
		return nil
	})
	for _, pk := range pks {
		if err := p.Add(pk); err != nil {
			t.Fatal(err)
		}
	}
	st, err := p.Flush()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"s13 200 orphan frame=2 client=" + cli.String(), "s17 204 orphan frame=5 client=" + cli.String()}
	if d := diffLines(want, got); d != "" {
		t.Errorf("exchanges (-want +got):\n%s", d)
	}
	if st.Pushes != 1 || st.Streams != 0 {
		t.Errorf("pushes %d streams %d, want 1 and 0", st.Pushes, st.Streams)
	}
}

// TestUndecodedRequestHeaders is arkime_http2-nghttp2.pcap: the client's
// first HEADERS (stream 13, END_STREAM without END_HEADERS: a 16 KiB block
// tshark does not reassemble) has no decoded header, so nothing tells its
// direction until the server's PUSH_PROMISE. It is held till then and its
// response matches it; the request's last byte, in CONTINUATION frames
// never decoded, is unknown.
func TestUndecodedRequestHeaders(t *testing.T) {
	pks := []*Packet{
		pkt(4, 211, true, "SETTINGS 0 0x00", "HEADERS 13 0x21"),
		pkt(26, 1046, false, "PUSH_PROMISE 13 0x04 :method=GET :path=/s.css promised=2"),
		pkt(28, 1046, false, "HEADERS 13 0x04 :status=200", "HEADERS 2 0x04 :status=200"),
		pkt(35, 1050, false, "DATA 13 0x01", "DATA 2 0x01"),
	}
	var got []string
	p := NewPairer(func(e *exchange.Exchange) error {
		got = append(got, fmt.Sprintf("s%d %q %d %s req=%d resp=%d ttfb=%.0fms reqLastUnknown=%v",
			e.StreamID, e.Method, e.Status, e.Kind, e.ReqFirstFrame, e.RespFirstFrame, e.TTFB()*1e3, e.ReqLastUnknown))
		return nil
	})
	for _, pk := range pks {
		if err := p.Add(pk); err != nil {
			t.Fatal(err)
		}
	}
	st, err := p.Flush()
	if err != nil {
		t.Fatal(err)
	}
	want := []string{`s13 "" 200 matched req=4 resp=28 ttfb=835ms reqLastUnknown=true`}
	if d := diffLines(want, got); d != "" {
		t.Errorf("exchanges (-want +got):\n%s", d)
	}
	if st.Pushes != 1 || st.Streams != 1 {
		t.Errorf("pushes %d streams %d, want 1 and 1", st.Pushes, st.Streams)
	}
}

// TestTableSizeUpdate: http2.header.count counts an HPACK dynamic table
// size update as an entry though it has no name; the decoded block
// length places the names of each block exactly (tshark's values for
// suricata_dns_over_http2_POST.pcap frame 10, then the same block behind
// another so the update sits in the second of two).
func TestTableSizeUpdate(t *testing.T) {
	names := ":status,date,content-type,content-length,access-control-allow-origin,cache-control,expect-ct,vary,server,cf-ray"
	lens := "3,29,23,3,1,12,87,15,10,20"
	vals := `200,Wed, 23 Oct 2019 09:20:25 GMT,application/dns-message,128,*,max-age=6421,max-age=604800, report-uri="https://report-uri.cloudflare.com/cdn-cgi/beacon/expect-ct",Accept-Encoding,cloudflare,52a2a290c922dac4-ARN`
	for _, tc := range []struct {
		ids, types, flags, counts, blocks, names, lens, vals string
	}{
		{"15", "HEADERS", "0x04", "11", "385", names, lens, vals},
		{"13,15", "HEADERS,HEADERS", "0x04,0x04", "1,11", "18,385", ":status," + names, "3," + lens, "204," + vals},
	} {
		r := Row{Frame: "10", Time: "1", IPSrc: "10.0.0.2", IPDst: "10.0.0.1", SrcPort: "80", DstPort: "4000", Stream: "0",
			StreamIDs: tc.ids, Types: tc.types, Flags: tc.flags, HeaderCount: tc.counts, HeaderLens: tc.blocks,
			HeaderNames: tc.names, ValueLens: tc.lens, Values: tc.vals}
		pk, err := ToPacket(&r)
		if err != nil {
			t.Fatalf("%s: %v", tc.counts, err)
		}
		f := pk.Frames[len(pk.Frames)-1]
		if code, ok := status(f.Headers); len(f.Headers) != 10 || !ok || code != 200 || f.Headers[9].Value != "52a2a290c922dac4-ARN" {
			t.Errorf("%s: last block %+v", tc.counts, f.Headers)
		}
	}
}

// TestBlindness: a long run of segments nothing was read from counts;
// a short one, or one a reassembled PDU ends (its first segment at or
// before the run's start), does not.
func TestBlindness(t *testing.T) {
	var b blindness
	for f := int64(1); f <= blindRun-1; f++ {
		b.see(f, false, 0)
	}
	b.see(blindRun, true, 0)
	for f := int64(100); f < 100+2*blindRun; f++ {
		b.see(f, false, 0)
	}
	b.see(200, true, 99) // a PDU begun before the run: reassembly, not blindness
	for f := int64(300); f < 300+blindRun; f++ {
		b.see(f, false, 0)
	}
	b.end()
	if b.total != blindRun || b.from != 300 {
		t.Errorf("total %d from %d; want %d from 300", b.total, b.from, blindRun)
	}
}
