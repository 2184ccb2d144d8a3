package tcpconn

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/tlshs"
	"github.com/pcapmeter/pcapmeter/parse"
)

// Row is one TCP packet as tshark prints it for this analysis, one string
// per field, so that "absent" and "zero" stay apart until ToSegment.
type Row struct {
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
	Flags      string `csv:"tcp.flags"`
	MSS        string `csv:"tcp.options.mss_val"`
	InitialRTT string `csv:"tcp.analysis.initial_rtt"`
	Retrans    string `csv:"tcp.analysis.retransmission"`
	FastRetx   string `csv:"tcp.analysis.fast_retransmission"`
	OutOfOrder string `csv:"tcp.analysis.out_of_order"`
	Lost       string `csv:"tcp.analysis.lost_segment"`
	DupAck     string `csv:"tcp.analysis.duplicate_ack"`
	ZeroWindow string `csv:"tcp.analysis.zero_window"`
	Methods    string `csv:"http.request.method"`
	// The TLS columns, in tlshs.Fields' order.
	TLSTypes     string `csv:"tls.record.content_type"`
	TLSOpaque    string `csv:"tls.record.opaque_type"`
	TLSLengths   string `csv:"tls.record.length"`
	TLSMessages  string `csv:"tls.handshake.type"`
	TLSVersion   string `csv:"tls.handshake.version"`
	TLSSupported string `csv:"tls.handshake.extensions.supported_version"`
	TLSPSK       string `csv:"tls.handshake.extensions.psk.identity.selected"`
	TLSAlerts    string `csv:"tls.alert_message.desc"`
	TLSSNI       string `csv:"tls.handshake.extensions_server_name"`
}

// Fields are the tshark fields behind Row, in column order: the TCP ones,
// then tlshs.Fields (the TLS handshake rides in the same pass).
var Fields = append([]string{
	"frame.number", "frame.time_epoch", "ip.src", "ipv6.src", "ip.dst", "ipv6.dst", "ip.id",
	"tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.len", "tcp.seq", "tcp.flags",
	"tcp.options.mss_val", "tcp.analysis.initial_rtt",
	"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.out_of_order",
	"tcp.analysis.lost_segment", "tcp.analysis.duplicate_ack", "tcp.analysis.zero_window",
	"http.request.method",
}, tlshs.Fields...)

// DisplayFilter selects TCP packets that are not quoted inside an ICMP
// error.
const DisplayFilter = "tcp && !icmp && !icmpv6"

// Segment is this analysis' one typed packet: a TCP segment with the
// header fields and tshark's analysis flags the connection metrics need.
type Segment struct {
	Frame            int64
	Time             parse.Time
	Src, Dst         netip.Addr
	SrcPort, DstPort uint16
	// IPID is the IPv4 identification field; HasIPID is false for IPv6.
	IPID    uint16
	HasIPID bool
	Stream  int64
	Len     int
	Seq     uint32
	Flags   uint16
	// MSS is the SYN's MSS option, 0 when absent.
	MSS int
	// InitialRTT is tshark's handshake RTT estimate, seconds (HasRTT).
	InitialRTT                                     float64
	HasRTT                                         bool
	Retransmission, FastRetransmission, OutOfOrder bool
	LostSegment, DuplicateAck, ZeroWindow          bool
	HTTPRequests                                   int
	// TLS is what the segment carries of TLS records, nil when none.
	TLS *tlshs.Frame
}

// ToSegment converts a Row. The TCP header is the innermost one, so every
// multi-valued field (a tunnel's) gives its last value.
func ToSegment(r *Row) (Segment, error) {
	var s Segment
	var err error
	if s.Frame, s.Time, err = parse.ParseFrame(r.Frame, r.Time); err != nil {
		return s, err
	}
	if err := s.readEndpoints(r); err != nil {
		return s, fmt.Errorf("frame %d: %w", s.Frame, err)
	}
	if err := s.readHeader(r); err != nil {
		return s, fmt.Errorf("frame %d: %w", s.Frame, err)
	}
	if err := s.readAnalysis(analysisCols{r.MSS, r.InitialRTT, r.Retrans, r.FastRetx, r.OutOfOrder, r.Lost, r.DupAck, r.ZeroWindow, r.Methods,
		[]string{r.TLSTypes, r.TLSOpaque, r.TLSLengths, r.TLSMessages, r.TLSVersion, r.TLSSupported, r.TLSPSK, r.TLSAlerts, r.TLSSNI}}); err != nil {
		return s, fmt.Errorf("frame %d: %w", s.Frame, err)
	}
	return s, nil
}

// readEndpoints reads who talks to whom: addresses, ports and tshark's
// connection index.
func (s *Segment) readEndpoints(r *Row) error {
	var err error
	if s.Src, err = parse.PickAddr(r.IPSrc, r.IPv6Src); err != nil {
		return fmt.Errorf("source: %w", err)
	}
	if s.Dst, err = parse.PickAddr(r.IPDst, r.IPv6Dst); err != nil {
		return fmt.Errorf("destination: %w", err)
	}
	if s.SrcPort, err = parse.ParsePort(r.SrcPort); err != nil {
		return fmt.Errorf("tcp.srcport %w", err)
	}
	if s.DstPort, err = parse.ParsePort(r.DstPort); err != nil {
		return fmt.Errorf("tcp.dstport %w", err)
	}
	if s.Stream, err = strconv.ParseInt(parse.LastValue(r.Stream), 10, 64); err != nil || s.Stream < 0 {
		return fmt.Errorf("tcp.stream %q", r.Stream)
	}
	return nil
}

// readHeader reads the IP ID and the TCP header's numbers; every one of
// them but seq may be absent.
func (s *Segment) readHeader(r *Row) error {
	var err error
	if r.IPID != "" && r.IPv6Src == "" {
		// Columns print "0x40f2 (16626)", fields "0x40f2".
		v, _, _ := strings.Cut(parse.LastValue(r.IPID), " ")
		id, err := strconv.ParseUint(strings.TrimPrefix(v, "0x"), 16, 16)
		if err != nil {
			return fmt.Errorf("ip.id %q", r.IPID)
		}
		s.IPID, s.HasIPID = uint16(id), true
	}
	if s.Len, err = optInt(r.Len); err != nil || s.Len < 0 {
		return fmt.Errorf("tcp.len %q", r.Len)
	}
	if s.Seq, err = parse.ParseU32(r.Seq); err != nil {
		return fmt.Errorf("tcp.seq %q", r.Seq)
	}
	if s.Flags, err = parse.ParseFlags(r.Flags); err != nil {
		return fmt.Errorf("tcp.flags %q", r.Flags)
	}
	return nil
}

// analysisCols are the columns only tshark can give, as either row
// type holds them.
type analysisCols struct {
	mss, irtt, retrans, fastRetx, ooo, lost, dupAck, zeroWin, methods string
	tls                                                               []string
}

// readAnalysis reads what tshark alone knows of a segment: the SYN's MSS
// option, its analysis flags and initial RTT, HTTP requests and TLS
// records.
func (s *Segment) readAnalysis(a analysisCols) error {
	var err error
	if s.MSS, err = optInt(a.mss); err != nil {
		return fmt.Errorf("mss %q", a.mss)
	}
	if a.irtt != "" {
		if s.InitialRTT, err = parse.ParseSeconds(parse.LastValue(a.irtt)); err != nil {
			return fmt.Errorf("initial_rtt %q", a.irtt)
		}
		s.HasRTT = true
	}
	s.Retransmission = a.retrans != ""
	s.FastRetransmission = a.fastRetx != ""
	s.OutOfOrder = a.ooo != ""
	s.LostSegment = a.lost != ""
	s.DuplicateAck = a.dupAck != ""
	s.ZeroWindow = a.zeroWin != ""
	if a.methods != "" {
		s.HTTPRequests = strings.Count(a.methods, ",") + 1
	}
	s.TLS, err = tlshs.Parse(a.tls)
	return err
}

// optInt reads the innermost value of an optional decimal field; absent
// is 0.
func optInt(s string) (int, error) {
	if s == "" {
		return 0, nil
	}
	return strconv.Atoi(parse.LastValue(s))
}
