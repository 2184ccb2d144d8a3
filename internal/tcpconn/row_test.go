package tcpconn

import (
	"reflect"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil/rowcheck"
)

// FuzzRow: any line decodes the same with both decoders, and converts
// either to an error or to a segment that holds together.
func FuzzRow(f *testing.F) {
	seeds := []string{
		"1\t1.5\t10.0.0.1\t\t10.0.0.2\t\t0x40f2 (16626)\t1234\t80\t0\t0\t0\t0x0002\t1460\t\t\t\t\t\t\t\t",
		"2\t1.6\t10.1.1.1,10.0.0.2\t\t10.1.1.2,10.0.0.1\t\t0x0001,0x0002\t4789,80\t4789,1234\t0\t100\t1\t0x0018\t\t0.030107000 seconds\t1\t\t\t\t\t\tGET",
		"3\t1.7\t\t2001:db8::1\t\t2001:db8::2\t\t443\t5\t7\t1440\t1441\t0x0010\t\t\t\t1\t1\t1\t1\t1\tGET,POST",
		// TLS columns: a TLS 1.3 server flight, a decrypted alert.
		"6\t1.8\t127.0.0.1\t\t127.0.0.1\t\t0x0001\t443\t42234\t0\t1952\t1\t0x0018\t\t\t\t\t\t\t\t\t\t" +
			"Handshake,Change Cipher Spec,Handshake\tApplication Data,Application Data\t1210,1,27,390\tServer Hello,Finished\tTLS 1.2\tTLS 1.3\t0\t\t",
		"8\t1.9\t127.0.0.1\t\t127.0.0.1\t\t0x0002\t42234\t443\t0\t30\t1517\t0x0018\t\t\t\t\t\t\t\t\t\t" +
			"20,21\t23\t1,19\t\t\t\t\tBad Certificate\tpcapmeter.test",
	}
	rowcheck.Fuzz(f, Fields, seeds, func(t *testing.T, r *Row) {
		s, err := ToSegment(r)
		if err == nil && (!s.Src.IsValid() || !s.Dst.IsValid() || s.Stream < 0 || s.Len < 0 || s.Frame <= 0) {
			t.Fatalf("inconsistent segment %+v", s)
		}
		sameJoined(t, r, s, err)
	})
}

// sameJoined: the joined path's row (the same values in JoinFields)
// reads what tshark alone knows as the full row does, or refuses the row
// the full row is refused for (and rows with two TCP headers, which the
// joined path leaves to the full rows).
func sameJoined(t *testing.T, r *Row, full Segment, fullErr error) {
	jr := JoinRow{Frame: r.Frame, SrcPort: r.SrcPort, Stream: r.Stream, Len: r.Len, MSS: r.MSS, InitialRTT: r.InitialRTT, Retrans: r.Retrans,
		FastRetx: r.FastRetx, OutOfOrder: r.OutOfOrder, Lost: r.Lost, DupAck: r.DupAck, ZeroWindow: r.ZeroWindow, Methods: r.Methods,
		TLSTypes: r.TLSTypes, TLSOpaque: r.TLSOpaque, TLSLengths: r.TLSLengths, TLSMessages: r.TLSMessages, TLSVersion: r.TLSVersion,
		TLSSupported: r.TLSSupported, TLSPSK: r.TLSPSK, TLSAlerts: r.TLSAlerts, TLSSNI: r.TLSSNI}
	js, local, err := parseJoinRow(&jr)
	if err != nil || fullErr != nil {
		return
	}
	// What the splitter's header gives, as the full row has it.
	js.Time, js.Src, js.Dst, js.SrcPort, js.DstPort = full.Time, full.Src, full.Dst, full.SrcPort, full.DstPort
	js.IPID, js.HasIPID, js.Seq, js.Flags, js.Stream = full.IPID, full.HasIPID, full.Seq, full.Flags, local
	if !reflect.DeepEqual(js, full) {
		t.Fatalf("joined row %+v, full row %+v", js, full)
	}
}

// TestToSegment: the innermost header's values are the segment's, absent
// fields read as absent, and a bad field is named in the error.
func TestToSegment(t *testing.T) {
	tunnel := Row{Frame: "2", Time: "1.6", IPSrc: "10.1.1.1,10.0.0.2", IPDst: "10.1.1.2,10.0.0.1", IPID: "0x0001,0x40f2 (16626)",
		SrcPort: "4789,80", DstPort: "4789,1234", Stream: "0", Len: "100", Seq: "1", Flags: "0x0018",
		InitialRTT: "0.030107000 seconds", Retrans: "1", Methods: "GET,POST"}
	s, err := ToSegment(&tunnel)
	if err != nil || s.Src.String() != "10.0.0.2" || s.DstPort != 1234 || s.IPID != 0x40f2 || !s.HasIPID ||
		s.Flags != 0x18 || s.InitialRTT != 0.030107 || !s.HasRTT || !s.Retransmission || s.HTTPRequests != 2 || s.Len != 100 {
		t.Errorf("tunnel: %+v %v", s, err)
	}
	v6 := Row{Frame: "3", Time: "1.7", IPv6Src: "2001:db8::1", IPv6Dst: "2001:db8::2", IPID: "0x0001", SrcPort: "443", DstPort: "5", Stream: "7", Seq: "1"}
	if s, err := ToSegment(&v6); err != nil || s.HasIPID || s.HasRTT || s.Flags != 0 || s.MSS != 0 {
		t.Errorf("v6 without options: %+v %v", s, err)
	}
	for _, c := range []struct {
		field func(*Row)
		msg   string
	}{
		{func(r *Row) { r.Frame = "0" }, `frame.number "0"`},
		{func(r *Row) { r.Time = "x" }, `frame 3: bad timestamp "x"`},
		{func(r *Row) { r.IPv6Src = "" }, "frame 3: source: no IP address"},
		{func(r *Row) { r.DstPort = "70000" }, `frame 3: tcp.dstport "70000"`},
		{func(r *Row) { r.Stream = "-1" }, `frame 3: tcp.stream "-1"`},
		{func(r *Row) { r.Len = "-1" }, `frame 3: tcp.len "-1"`},
		{func(r *Row) { r.Flags = "0xzz" }, `frame 3: tcp.flags "0xzz"`},
		{func(r *Row) { r.InitialRTT = "soon" }, `frame 3: initial_rtt "soon"`},
	} {
		r := v6
		c.field(&r)
		if _, err := ToSegment(&r); err == nil || err.Error() != c.msg {
			t.Errorf("got %v, want %q", err, c.msg)
		}
	}
}
