package tracesum

import (
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil/rowcheck"
)

// FuzzRow: any line decodes the same with both decoders, and converts
// either to an error or to a frame that holds together.
func FuzzRow(f *testing.F) {
	seeds := []string{
		"1\t1.5\t74\teth:ethertype:ip:tcp\t10.0.0.1\t\t10.0.0.2\t\t1234\t80\t\t\t0\t0.030107000 seconds\t\t\t\t\t\t\t0x012",
		"2\t1.6\t102\teth:ethertype:ip:icmp:ip:udp:dns\t10.0.0.9,10.0.0.1\t\t10.0.0.1,8.8.8.8\t\t\t\t5353\t53\t\t\t\t\t\t\t3\t\t",
		"3\t1.7\t120\teth:ethertype:ipv6:tcp:http:data\t\t2001:db8::1\t\t2001:db8::2\t443\t5\t\t\t7\t\t1\t1\tGET,POST\t200\t\tEcho (ping) request\t0x018",
	}
	rowcheck.Fuzz(f, Fields, seeds, func(t *testing.T, r *Row) {
		if fr, err := ToFrame(r); err == nil && (fr.Len < 0 || fr.Number <= 0 || fr.HTTPRequests < 0 || (fr.Transport == "" && fr.SrcPort != 0) || fr.InitialRTT < 0) {
			t.Fatalf("inconsistent frame %+v", fr)
		}
	})
}

// TestToFrame: outermost addresses, the top protocol without "data", an
// ICMP error counted as ICMP (not as the UDP it quotes), and a bad field
// named in the error.
func TestToFrame(t *testing.T) {
	icmpErr := Row{Frame: "2", Time: "1.6", Len: "102", Protocols: "eth:ethertype:ip:icmp:ip:udp:dns", IPSrc: "10.0.0.9,10.0.0.1",
		IPDst: "10.0.0.1,8.8.8.8", UDPSrc: "5353", UDPDst: "53", ICMPType: "3"}
	if f, err := ToFrame(&icmpErr); err != nil || f.Top != "icmp" || f.Transport != "" || f.SrcPort != 0 || f.Src != "10.0.0.9" || f.Stream != -1 {
		t.Errorf("ICMP error: %+v %v", f, err)
	}
	web := Row{Frame: "3", Time: "1.7", Len: "120", Protocols: "eth:ethertype:ipv6:tcp:http:data", IPv6Src: "2001:db8::1", IPv6Dst: "2001:db8::2",
		TCPSrc: "443", TCPDst: "5", Stream: "7", InitialRTT: "0.25 seconds", Methods: "GET,POST", Codes: "200", ICMPv6Type: "Echo (ping) request\t0x018", Flags: "0x018"}
	if f, err := ToFrame(&web); err != nil || f.Top != "http" || f.Transport != "tcp" || f.SrcPort != 443 || f.Stream != 7 ||
		f.InitialRTT != 0.25 || !f.HasRTT || f.HTTPRequests != 2 || f.HTTPResponses != 1 || !f.EchoRequest || f.Flags != 0x018 {
		t.Errorf("web: %+v %v", f, err)
	}
	for _, c := range []struct {
		field func(*Row)
		msg   string
	}{
		{func(r *Row) { r.Frame = "-3" }, `frame.number "-3"`},
		{func(r *Row) { r.Len = "" }, `frame 3: frame.len ""`},
		{func(r *Row) { r.Stream = "x" }, `frame 3: tcp.stream "x"`},
		{func(r *Row) { r.TCPDst = "65536" }, "frame 3: ports"},
		{func(r *Row) { r.InitialRTT = "-1" }, `frame 3: initial_rtt "-1"`},
		{func(r *Row) { r.Flags = "SYN" }, `frame 3: tcp.flags "SYN"`},
	} {
		r := web
		c.field(&r)
		if _, err := ToFrame(&r); err == nil || err.Error() != c.msg {
			t.Errorf("got %v, want %q", err, c.msg)
		}
	}
}
