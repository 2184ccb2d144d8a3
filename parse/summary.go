package parse

import (
	"fmt"
	"strconv"
	"strings"
)

// SummaryRow is one packet of the whole-trace summary, as text.
type SummaryRow struct {
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
}

// SummaryFields are the tshark fields behind SummaryRow, in column order.
var SummaryFields = []string{
	"frame.number", "frame.time_epoch", "frame.len", "frame.protocols",
	"ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
	"tcp.srcport", "tcp.dstport", "udp.srcport", "udp.dstport", "tcp.stream",
	"tcp.analysis.initial_rtt", "tcp.analysis.retransmission", "tcp.analysis.lost_segment",
	"http.request.method", "http.response.code", "icmp.type", "icmpv6.type",
}

// Frame is one packet of the summary, typed.
type Frame struct {
	Number int64
	Time   Time
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
	Stream           int64 // TCP stream, -1 without TCP
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

// ToFrame converts a SummaryRow.
func ToFrame(r *SummaryRow) (Frame, error) {
	var f Frame
	var err error
	if f.Number, err = strconv.ParseInt(r.Frame, 10, 64); err != nil || f.Number <= 0 {
		return f, fmt.Errorf("frame.number %q", r.Frame)
	}
	if f.Time, err = ParseTime(r.Time); err != nil {
		return f, fmt.Errorf("frame %d: %w", f.Number, err)
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
	first := func(s string) string { v, _, _ := strings.Cut(s, ","); return v }
	f.Src, f.Dst = first(r.IPSrc), first(r.IPDst)
	if f.Src == "" {
		f.Src, f.Dst = first(r.IPv6Src), first(r.IPv6Dst)
	}
	port := func(s string) (uint16, error) {
		if s == "" {
			return 0, nil
		}
		n, err := strconv.ParseUint(first(s), 10, 16)
		return uint16(n), err
	}
	f.Stream = -1
	// An ICMP error quotes the packet that caused it, whose TCP or UDP
	// header tshark dissects too; the frame is ICMP all the same.
	for _, p := range protos {
		if p == "icmp" || p == "icmpv6" {
			f.Top = p
			r.Stream, r.UDPSrc = "", ""
			break
		}
		if p == "tcp" || p == "udp" {
			break
		}
	}
	switch {
	case r.Stream != "":
		f.Transport = "tcp"
		if f.Stream, err = strconv.ParseInt(first(r.Stream), 10, 64); err != nil {
			return f, fmt.Errorf("frame %d: tcp.stream %q", f.Number, r.Stream)
		}
		if f.SrcPort, err = port(r.TCPSrc); err == nil {
			f.DstPort, err = port(r.TCPDst)
		}
	case r.UDPSrc != "":
		f.Transport = "udp"
		if f.SrcPort, err = port(r.UDPSrc); err == nil {
			f.DstPort, err = port(r.UDPDst)
		}
	}
	if err != nil {
		return f, fmt.Errorf("frame %d: ports", f.Number)
	}
	if r.InitialRTT != "" {
		v := strings.TrimSuffix(first(r.InitialRTT), " seconds")
		if f.InitialRTT, err = strconv.ParseFloat(v, 64); err != nil || f.InitialRTT < 0 {
			return f, fmt.Errorf("frame %d: initial_rtt %q", f.Number, r.InitialRTT)
		}
		f.HasRTT = true
	}
	f.Retransmission = r.Retrans != ""
	f.LostSegment = r.Lost != ""
	if r.Methods != "" {
		f.HTTPRequests = strings.Count(r.Methods, ",") + 1
	}
	if r.Codes != "" {
		f.HTTPResponses = strings.Count(r.Codes, ",") + 1
	}
	// Only the outer ICMP type counts: an ICMP error quotes the echo
	// request that caused it. tshark's columns show ICMPv6 types by name.
	switch t := first(r.ICMPType); t {
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
	return f, nil
}
