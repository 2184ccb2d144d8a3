package tracesum

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/parse"
)

// Row is one packet of the whole-trace summary as tshark prints it, one
// string per field.
type Row struct {
	Frame      string `csv:"frame.number"`
	Time       string `csv:"frame.time_epoch"`
	Len        string `csv:"frame.len"`
	Protocols  string `csv:"frame.protocols"`
	IPSrc      string `csv:"ip.src"`
	IPv6Src    string `csv:"ipv6.src"`
	IPDst      string `csv:"ip.dst"`
	IPv6Dst    string `csv:"ipv6.dst"`
	TCPSrc     string `csv:"tcp.srcport"`
	TCPDst     string `csv:"tcp.dstport"`
	UDPSrc     string `csv:"udp.srcport"`
	UDPDst     string `csv:"udp.dstport"`
	Stream     string `csv:"tcp.stream"`
	InitialRTT string `csv:"tcp.analysis.initial_rtt"`
	Retrans    string `csv:"tcp.analysis.retransmission"`
	Lost       string `csv:"tcp.analysis.lost_segment"`
	Methods    string `csv:"http.request.method"`
	Codes      string `csv:"http.response.code"`
	ICMPType   string `csv:"icmp.type"`
	ICMPv6Type string `csv:"icmpv6.type"`
	Flags      string `csv:"tcp.flags"`
}

// Fields are the tshark fields behind Row, in column order.
var Fields = []string{
	"frame.number", "frame.time_epoch", "frame.len", "frame.protocols",
	"ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
	"tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.stream",
	"tcp.analysis.initial_rtt", "tcp.analysis.retransmission", "tcp.analysis.lost_segment",
	"http.request.method", "http.response.code", "icmp.type", "icmpv6.type",
	"tcp.flags",
}

// Frame is this analysis' one typed packet: what the overview counts of
// any frame, whatever its protocol.
type Frame struct {
	Number int64
	Time   parse.Time
	Len    int
	// Top is the highest protocol tshark recognised (the last entry of
	// frame.protocols other than the generic "data").
	Top string
	// Src and Dst are the outermost addresses ("" without IP); SrcPort and
	// DstPort the transport ports (0 without TCP/UDP); Transport "tcp",
	// "udp" or "" .
	Src, Dst         string
	SrcPort, DstPort uint16
	Transport        string
	Stream           int64  // TCP stream, -1 without TCP
	Flags            uint16 // TCP flags (with Stream), for the handshake
	// InitialRTT is tshark's handshake RTT estimate (SYN → ACK), seconds;
	// HasRTT says it was present.
	InitialRTT     float64
	HasRTT         bool
	Retransmission bool
	LostSegment    bool
	HTTPRequests   int
	HTTPResponses  int
	EchoRequest    bool
	EchoReply      bool
}

// ToFrame converts a Row. Unlike a single-protocol analysis, the overview
// describes a frame by its outermost headers (the conversation a capture
// tool lists), so multi-valued fields give their first value.
func ToFrame(r *Row) (Frame, error) {
	var f Frame
	var err error
	if f.Number, f.Time, err = parse.ParseFrame(r.Frame, r.Time); err != nil {
		return f, err
	}
	if f.Len, err = strconv.Atoi(r.Len); err != nil || f.Len < 0 {
		return f, fmt.Errorf("frame %d: frame.len %q", f.Number, r.Len)
	}
	protos := strings.Split(r.Protocols, ":")
	for i := len(protos) - 1; i >= 0; i-- {
		if protos[i] != "data" || i == 0 {
			f.Top = protos[i]
			break
		}
	}
	f.Src, f.Dst = first(r.IPSrc), first(r.IPDst)
	if f.Src == "" {
		f.Src, f.Dst = first(r.IPv6Src), first(r.IPv6Dst)
	}
	if err := f.readTransport(r, protos); err != nil {
		return f, fmt.Errorf("frame %d: %w", f.Number, err)
	}
	if r.InitialRTT != "" {
		if f.InitialRTT, err = parse.ParseSeconds(first(r.InitialRTT)); err != nil || f.InitialRTT < 0 {
			return f, fmt.Errorf("frame %d: initial_rtt %q", f.Number, r.InitialRTT)
		}
		f.HasRTT = true
	}
	if f.Stream >= 0 {
		if f.Flags, err = parse.ParseFlags(first(r.Flags)); err != nil {
			return f, fmt.Errorf("frame %d: tcp.flags %q", f.Number, r.Flags)
		}
	}
	f.Retransmission = r.Retrans != ""
	f.LostSegment = r.Lost != ""
	if r.Methods != "" {
		f.HTTPRequests = strings.Count(r.Methods, ",") + 1
	}
	if r.Codes != "" {
		f.HTTPResponses = strings.Count(r.Codes, ",") + 1
	}
	f.readEcho(r)
	return f, nil
}

// readTransport reads the transport and its ports. An ICMP error quotes
// the packet that caused it, whose TCP or UDP header tshark dissects too;
// the frame is ICMP all the same.
func (f *Frame) readTransport(r *Row, protos []string) error {
	stream, udp := r.Stream, r.UDPSrc
	for _, p := range protos {
		if p == "icmp" || p == "icmpv6" {
			f.Top = p
			stream, udp = "", ""
			break
		}
		if p == "tcp" || p == "udp" {
			break
		}
	}
	f.Stream = -1
	var err error
	switch {
	case stream != "":
		f.Transport = "tcp"
		if f.Stream, err = strconv.ParseInt(first(stream), 10, 64); err != nil {
			return fmt.Errorf("tcp.stream %q", stream)
		}
		f.SrcPort, f.DstPort, err = ports(r.TCPSrc, r.TCPDst)
	case udp != "":
		f.Transport = "udp"
		f.SrcPort, f.DstPort, err = ports(udp, r.UDPDst)
	}
	if err != nil {
		return fmt.Errorf("ports")
	}
	return nil
}

// readEcho counts only the outer ICMP type: an ICMP error quotes the echo
// request that caused it. tshark's columns show ICMPv6 types by name.
func (f *Frame) readEcho(r *Row) {
	switch first(r.ICMPType) {
	case "8":
		f.EchoRequest = true
	case "0":
		f.EchoReply = true
	}
	switch t := first(r.ICMPv6Type); {
	case t == "128" || strings.HasPrefix(t, "Echo (ping) request"):
		f.EchoRequest = true
	case t == "129" || strings.HasPrefix(t, "Echo (ping) reply"):
		f.EchoReply = true
	}
}

// ports reads the outermost source and destination port; absent is 0.
func ports(src, dst string) (uint16, uint16, error) {
	s, err := port(src)
	if err != nil {
		return 0, 0, err
	}
	d, err := port(dst)
	return s, d, err
}

func port(s string) (uint16, error) {
	if s == "" {
		return 0, nil
	}
	n, err := strconv.ParseUint(first(s), 10, 16)
	return uint16(n), err
}

// first is the outermost value of a multi-valued field.
func first(s string) string {
	v, _, _ := strings.Cut(s, ",")
	return v
}
