package parse

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
)

// TCPRow is one TCP packet of the connection analysis, as text.
type TCPRow struct {
	Frame      string `csv:"frame.number"`
	Time       string `csv:"frame.time_epoch"`
	IPSrc      string `csv:"ip.src"`
	IPv6Src    string `csv:"ipv6.src"`
	IPDst      string `csv:"ip.dst"`
	IPv6Dst    string `csv:"ipv6.dst"`
	IPID       string `csv:"ip.id"`
	SrcPort    string `csv:"tcp.srcport"`
	DstPort    string `csv:"tcp.dstport"`
	Stream     string `csv:"tcp.stream"`
	Len        string `csv:"tcp.len"`
	Seq        string `csv:"tcp.seq"`
	Ack        string `csv:"tcp.ack"`
	Flags      string `csv:"tcp.flags"`
	Window     string `csv:"tcp.window_size"`
	MSS        string `csv:"tcp.options.mss_val"`
	InitialRTT string `csv:"tcp.analysis.initial_rtt"`
	Retrans    string `csv:"tcp.analysis.retransmission"`
	FastRetx   string `csv:"tcp.analysis.fast_retransmission"`
	OutOfOrder string `csv:"tcp.analysis.out_of_order"`
	Lost       string `csv:"tcp.analysis.lost_segment"`
	DupAck     string `csv:"tcp.analysis.duplicate_ack"`
	ZeroWindow string `csv:"tcp.analysis.zero_window"`
	Methods    string `csv:"http.request.method"`
}

// TCPFields are the tshark fields behind TCPRow, in column order.
var TCPFields = []string{
	"frame.number", "frame.time_epoch", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "ip.id",
	"tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.len", "tcp.seq", "tcp.ack", "tcp.flags",
	"tcp.window_size", "tcp.options.mss_val", "tcp.analysis.initial_rtt",
	"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.out_of_order",
	"tcp.analysis.lost_segment", "tcp.analysis.duplicate_ack", "tcp.analysis.zero_window",
	"http.request.method",
}

// TCPDisplayFilter selects TCP packets that are not quoted inside an ICMP
// error.
const TCPDisplayFilter = "tcp && !icmp && !icmpv6"

// Segment is one typed TCP packet.
type Segment struct {
	Frame            int64
	Time             Time
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	// IPID is the IPv4 identification field; HasIPID is false for IPv6.
	IPID    uint16
	HasIPID bool
	Stream  int64
	Len     int
	Seq     uint32
	Ack     uint32
	Flags   uint16
	Window  int64
	// MSS is the SYN's MSS option, 0 when absent.
	MSS int
	// InitialRTT is tshark's handshake RTT estimate, seconds (HasRTT).
	InitialRTT                                     float64
	HasRTT                                         bool
	Retransmission, FastRetransmission, OutOfOrder bool
	LostSegment, DuplicateAck, ZeroWindow          bool
	HTTPRequests                                   int
}

// ToSegment converts a TCPRow. The TCP header is the innermost one, so
// addresses take the last value of a tunnel's multi-valued fields.
func ToSegment(r *TCPRow) (Segment, error) {
	var s Segment
	var err error
	if s.Frame, err = strconv.ParseInt(r.Frame, 10, 64); err != nil || s.Frame <= 0 {
		return s, fmt.Errorf("frame.number %q", r.Frame)
	}
	if s.Time, err = ParseTime(r.Time); err != nil {
		return s, fmt.Errorf("frame %d: %w", s.Frame, err)
	}
	if s.Src, err = pickAddr(r.IPSrc, r.IPv6Src); err != nil {
		return s, fmt.Errorf("frame %d: source: %w", s.Frame, err)
	}
	if s.Dst, err = pickAddr(r.IPDst, r.IPv6Dst); err != nil {
		return s, fmt.Errorf("frame %d: destination: %w", s.Frame, err)
	}
	if s.SrcPort, err = parsePort(r.SrcPort); err != nil {
		return s, fmt.Errorf("frame %d: tcp.srcport %q", s.Frame, r.SrcPort)
	}
	if s.DstPort, err = parsePort(r.DstPort); err != nil {
		return s, fmt.Errorf("frame %d: tcp.dstport %q", s.Frame, r.DstPort)
	}
	if s.Stream, err = strconv.ParseInt(lastValue(r.Stream), 10, 64); err != nil || s.Stream < 0 {
		return s, fmt.Errorf("frame %d: tcp.stream %q", s.Frame, r.Stream)
	}
	if r.IPID != "" && r.IPv6Src == "" {
		// Columns print "0x40f2 (16626)", fields "0x40f2".
		v, _, _ := strings.Cut(lastValue(r.IPID), " ")
		id, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 16)
		if err != nil {
			return s, fmt.Errorf("frame %d: ip.id %q", s.Frame, r.IPID)
		}
		s.IPID, s.HasIPID = uint16(id), true
	}
	if r.Len != "" {
		if s.Len, err = strconv.Atoi(lastValue(r.Len)); err != nil || s.Len < 0 {
			return s, fmt.Errorf("frame %d: tcp.len %q", s.Frame, r.Len)
		}
	}
	if s.Seq, err = parseU32(r.Seq); err != nil {
		return s, fmt.Errorf("frame %d: tcp.seq %q", s.Frame, r.Seq)
	}
	if s.Ack, err = parseU32(r.Ack); err != nil {
		return s, fmt.Errorf("frame %d: tcp.ack %q", s.Frame, r.Ack)
	}
	if r.Flags != "" {
		f, err := strconv.ParseUint(strings.TrimPrefix(lastValue(r.Flags), "0x"), 16, 16)
		if err != nil {
			return s, fmt.Errorf("frame %d: tcp.flags %q", s.Frame, r.Flags)
		}
		s.Flags = uint16(f)
	}
	if r.Window != "" {
		if s.Window, err = strconv.ParseInt(lastValue(r.Window), 10, 64); err != nil {
			return s, fmt.Errorf("frame %d: tcp.window_size %q", s.Frame, r.Window)
		}
	}
	if r.MSS != "" {
		if s.MSS, err = strconv.Atoi(lastValue(r.MSS)); err != nil {
			return s, fmt.Errorf("frame %d: mss %q", s.Frame, r.MSS)
		}
	}
	if r.InitialRTT != "" {
		v := strings.TrimSuffix(lastValue(r.InitialRTT), " seconds")
		if s.InitialRTT, err = strconv.ParseFloat(v, 64); err != nil {
			return s, fmt.Errorf("frame %d: initial_rtt %q", s.Frame, r.InitialRTT)
		}
		s.HasRTT = true
	}
	s.Retransmission = r.Retrans != ""
	s.FastRetransmission = r.FastRetx != ""
	s.OutOfOrder = r.OutOfOrder != ""
	s.LostSegment = r.Lost != ""
	s.DuplicateAck = r.DupAck != ""
	s.ZeroWindow = r.ZeroWindow != ""
	if r.Methods != "" {
		s.HTTPRequests = strings.Count(r.Methods, ",") + 1
	}
	return s, nil
}
