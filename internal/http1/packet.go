package http1

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// Packet is one typed row. Optional numbers come with a flag saying that
// tshark printed them; an empty field never reads as 0.
type Packet struct {
	Frame     int64
	Time      parse.Time
	Src, Dst  netip.Addr
	SrcPort   uint16
	DstPort   uint16
	HasStream bool // a TCP packet (tcp.stream present)
	Stream    int64
	Len       int // TCP payload length
	// Seq and Ack are tshark's relative sequence and acknowledgement
	// numbers (0 when absent).
	Seq, Ack uint32
	Flags    uint16
	// Retransmission is set for any of tshark's retransmission flags
	// (plain, fast, spurious).
	Retransmission bool
	// OutOfOrder is tshark's out-of-order flag.
	OutOfOrder bool
	// FirstSegment is the first frame of the reassembled PDU completed in
	// this frame (tcp.segment's first entry, or over TLS tls.segment's);
	// 0 when there is none.
	FirstSegment int64
	// Methods, URIs: one entry per HTTP request reported in this frame
	// (several when requests are pipelined in one segment).
	Methods []string
	URIs    []string
	Hosts   []string
	// Codes: one entry per HTTP response reported in this frame.
	Codes []int
	// RequestIn: tshark's link from each response to its request frame
	// (0 where tshark gave none).
	RequestIn []int64
	// Bodies: each message's Content-Length (requests first, then
	// responses, as Methods and Codes), unknown where the header is absent
	// or tshark's values cannot be placed (some pipelined messages in the
	// frame lack the header).
	Bodies []exchange.Size
	// UDP is set for HTTP carried over UDP (SSDP), which is never paired;
	// UDPMessages counts its messages.
	UDP         bool
	UDPMessages int
}

// ToPacket converts a Row, validating every field it uses.
func ToPacket(r *Row) (Packet, error) {
	return convert(r, true)
}

// convert is ToPacket, and with header false ToJoinedPacket (a row of
// JoinFields, without the header columns the splitter supplies): one
// body, so that a field added for one is never missing from the other.
func convert(r *Row, header bool) (Packet, error) {
	var p Packet
	var err error
	if p.Frame, err = strconv.ParseInt(r.Frame, 10, 64); err != nil || p.Frame <= 0 {
		return p, fmt.Errorf("frame.number %q", r.Frame)
	}
	if header {
		if p.Time, err = parse.ParseTime(r.Time); err != nil {
			return p, fmt.Errorf("frame %d: %w", p.Frame, err)
		}
	}
	if r.Stream == "" {
		p.UDP, p.UDPMessages = udpMessages(r)
		return p, nil
	}
	p.HasStream = true
	if p.Stream, err = strconv.ParseInt(r.Stream, 10, 64); err != nil || p.Stream < 0 {
		return p, fmt.Errorf("frame %d: tcp.stream %q", p.Frame, r.Stream)
	}
	if header {
		err = p.tcp(r) // the header's fields, then the analysis
	} else {
		err = p.analysis(r)
	}
	if err == nil {
		err = p.tlsSegments(r)
	}
	if err == nil {
		err = p.http(r)
	}
	if err != nil {
		return p, fmt.Errorf("frame %d: %w", p.Frame, err)
	}
	return p, nil
}

// udpMessages counts the HTTP messages of a row without tcp.stream: HTTP
// over UDP (SSDP) when it has a UDP port and messages.
func udpMessages(r *Row) (bool, int) {
	if r.UDPSrcPort == "" || (r.Methods == "" && r.Codes == "") {
		return false, 0
	}
	n := strings.Count(r.Methods, ",") + strings.Count(r.Codes, ",")
	if r.Methods != "" {
		n++
	}
	if r.Codes != "" {
		n++
	}
	return true, n
}

// tcp reads the IP and TCP fields.
func (p *Packet) tcp(r *Row) error {
	var err error
	if p.Src, err = parse.PickAddr(r.IPSrc, r.IPv6Src); err != nil {
		return fmt.Errorf("source address: %w", err)
	}
	if p.Dst, err = parse.PickAddr(r.IPDst, r.IPv6Dst); err != nil {
		return fmt.Errorf("destination address: %w", err)
	}
	if p.SrcPort, err = parse.ParsePort(r.SrcPort); err != nil {
		return fmt.Errorf("tcp.srcport: %w", err)
	}
	if p.DstPort, err = parse.ParsePort(r.DstPort); err != nil {
		return fmt.Errorf("tcp.dstport: %w", err)
	}
	if p.Seq, err = parse.ParseU32(r.Seq); err != nil {
		return fmt.Errorf("tcp.seq %q", r.Seq)
	}
	if p.Ack, err = parse.ParseU32(r.Ack); err != nil {
		return fmt.Errorf("tcp.ack %q", r.Ack)
	}
	if p.Flags, err = parse.ParseFlags(r.Flags); err != nil {
		return fmt.Errorf("tcp.flags %q", r.Flags)
	}
	return p.analysis(r)
}

// analysis reads the TCP fields only tshark knows: the payload length it
// dissected, its sequence analysis and its reassembly.
func (p *Packet) analysis(r *Row) error {
	var err error
	if r.Len != "" {
		n, err := strconv.Atoi(parse.LastValue(r.Len))
		if err != nil || n < 0 {
			return fmt.Errorf("tcp.len %q", r.Len)
		}
		p.Len = n
	}
	p.Retransmission = r.Retrans != "" || r.FastRetrans != "" || r.Spurious != ""
	p.OutOfOrder = r.OutOfOrder != ""
	if r.Segments != "" {
		first, _, _ := strings.Cut(r.Segments, ",")
		if p.FirstSegment, err = strconv.ParseInt(first, 10, 64); err != nil || p.FirstSegment <= 0 {
			return fmt.Errorf("tcp.segment %q", parse.Excerpt(r.Segments))
		}
	}
	return nil
}

// http reads the HTTP fields: the frame's requests and responses.
func (p *Packet) http(r *Row) error {
	if r.Methods != "" {
		p.Methods = strings.Split(r.Methods, ",")
		p.URIs = splitLike(r.URIs, len(p.Methods))
		p.Hosts = splitLike(r.Host, len(p.Methods))
	}
	defer func() { p.Bodies = contentLengths(r.ContentLen, len(p.Methods)+len(p.Codes)) }()
	if r.Codes == "" {
		return nil
	}
	for _, c := range strings.Split(r.Codes, ",") {
		code, err := strconv.Atoi(c)
		if err != nil || code < 0 || code > 999 {
			return fmt.Errorf("http.response.code %q", r.Codes)
		}
		p.Codes = append(p.Codes, code)
	}
	p.RequestIn = make([]int64, len(p.Codes))
	if r.RequestIn == "" {
		return nil
	}
	// tshark prints one link per response it could link; when some are
	// missing the remaining ones cannot be placed reliably, so they go to
	// the first responses, as tshark lists them in order.
	links := strings.Split(r.RequestIn, ",")
	for i := 0; i < len(links) && i < len(p.RequestIn); i++ {
		var err error
		if p.RequestIn[i], err = strconv.ParseInt(links[i], 10, 64); err != nil || p.RequestIn[i] <= 0 {
			return fmt.Errorf("http.request_in %q", r.RequestIn)
		}
	}
	return nil
}

// splitLike splits a comma-joined multi-value into n parts. URIs may hold
// commas themselves, so when the split does not give exactly n parts the
// whole text goes to the first message and the rest get "".
func splitLike(s string, n int) []string {
	if n == 1 {
		return []string{s}
	}
	parts := strings.Split(s, ",")
	if len(parts) == n {
		return parts
	}
	out := make([]string, n)
	out[0] = s
	return out
}

// contentLengths places tshark's Content-Length values on a frame's n
// messages: only when there is one per message, since a message without
// the header leaves no empty slot in the list. A value that is not a
// byte count is left unknown rather than rejecting the frame: the pairing
// does not depend on it.
func contentLengths(s string, n int) []exchange.Size {
	out := make([]exchange.Size, n)
	if s == "" {
		return out
	}
	vals := strings.Split(s, ",")
	if len(vals) != n {
		return out
	}
	for i, v := range vals {
		if b, err := strconv.ParseInt(v, 10, 64); err == nil && b >= 0 {
			out[i] = exchange.Bytes(b)
		}
	}
	return out
}

// body is the i-th message's Content-Length (packets built by hand may
// have none).
func (p *Packet) body(i int) exchange.Size {
	if i < len(p.Bodies) {
		return p.Bodies[i]
	}
	return exchange.Size{}
}
