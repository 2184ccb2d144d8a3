package icmpnode

import (
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/parse"
)

// Row is one tshark row of the ICMP echo analysis, one string per field.
type Row struct {
	Frame    string `csv:"frame.number"`
	Time     string `csv:"frame.time_epoch"`
	FrameLen string `csv:"frame.len"`
	IPSrc    string `csv:"ip.src"`
	IPDst    string `csv:"ip.dst"`
	TTL      string `csv:"ip.ttl"`
	IPv6Src  string `csv:"ipv6.src"`
	IPv6Dst  string `csv:"ipv6.dst"`
	HopLimit string `csv:"ipv6.hlim"`
	Type     string `csv:"icmp.type"`
	ID       string `csv:"icmp.ident"`
	Seq      string `csv:"icmp.seq"`
	Type6    string `csv:"icmpv6.type"`
	ID6      string `csv:"icmpv6.echo.identifier"`
	Seq6     string `csv:"icmpv6.echo.sequence_number"`
	DataLen  string `csv:"data.len"`
}

// Fields are the tshark fields behind Row, in column order.
var Fields = []string{
	"frame.number", "frame.time_epoch", "frame.len",
	"ip.src", "ip.dst", "ip.ttl", "ipv6.src", "ipv6.dst", "ipv6.hlim",
	"icmp.type", "icmp.ident", "icmp.seq",
	"icmpv6.type", "icmpv6.echo.identifier", "icmpv6.echo.sequence_number",
	"data.len",
}

// DisplayFilter selects frames with an ICMP or ICMPv6 echo anywhere in
// them; ToEcho then keeps only those whose outer ICMP message is the echo
// (an ICMP error quotes the echo request that caused it).
const DisplayFilter = "icmp.type == 8 || icmp.type == 0 || icmpv6.type == 128 || icmpv6.type == 129"

// Echo is this analysis' one typed packet: an ICMP or ICMPv6 echo request
// or reply.
type Echo struct {
	Frame    int64
	Time     parse.Time
	Src, Dst netip.Addr
	// TTL is the IPv4 TTL or the IPv6 hop limit of the packet.
	TTL     int
	V6      bool
	Request bool // echo request; otherwise echo reply
	// ID and Seq are the echo identifier and sequence number as tshark
	// printed them; they are only compared.
	ID, Seq  string
	FrameLen int // bytes on the wire (frame.len)
	DataLen  int // ICMP payload bytes
}

// errNotEcho marks a row whose outer ICMP message is not an echo (an ICMP
// error quoting an echo request). It is counted, not used.
var errNotEcho = errors.New("outer ICMP message is not an echo")

// ToEcho converts a Row. The outer ICMP message is the first value of the
// type field; the IP header that carries it is the one just before it,
// i.e. the IP value at index (number of IP headers − number of ICMP
// messages): that picks the outer header of an ICMP error (whose quoted
// packet adds an inner one) and the inner header of a tunnel.
func ToEcho(r *Row) (Echo, error) {
	var e Echo
	var err error
	if e.Frame, e.Time, err = parse.ParseFrame(r.Frame, r.Time); err != nil {
		return e, err
	}
	if e.FrameLen, err = strconv.Atoi(r.FrameLen); err != nil || e.FrameLen < 0 {
		return e, fmt.Errorf("frame %d: frame.len %q", e.Frame, r.FrameLen)
	}
	types, src, dst, ttl, id, seq := r.Type, r.IPSrc, r.IPDst, r.TTL, r.ID, r.Seq
	if types == "" {
		e.V6 = true
		types, src, dst, ttl, id, seq = r.Type6, r.IPv6Src, r.IPv6Dst, r.HopLimit, r.ID6, r.Seq6
	}
	messages := strings.Split(types, ",")
	if e.Request, err = isRequest(messages[0], types); err != nil {
		if err != errNotEcho {
			err = fmt.Errorf("frame %d: %w", e.Frame, err)
		}
		return e, err
	}
	pick := func(s string) string {
		vs := strings.Split(s, ",")
		return vs[max(0, len(vs)-len(messages))]
	}
	if e.Src, err = netip.ParseAddr(pick(src)); err != nil {
		return e, fmt.Errorf("frame %d: source %q", e.Frame, src)
	}
	if e.Dst, err = netip.ParseAddr(pick(dst)); err != nil {
		return e, fmt.Errorf("frame %d: destination %q", e.Frame, dst)
	}
	if e.TTL, err = strconv.Atoi(pick(ttl)); err != nil || e.TTL < 0 || e.TTL > 255 {
		return e, fmt.Errorf("frame %d: ttl %q", e.Frame, ttl)
	}
	e.ID, _, _ = strings.Cut(id, ",")
	e.Seq, _, _ = strings.Cut(seq, ",")
	if r.DataLen != "" {
		d, _, _ := strings.Cut(r.DataLen, ",")
		if e.DataLen, err = strconv.Atoi(d); err != nil || e.DataLen < 0 {
			return e, fmt.Errorf("frame %d: data.len %q", e.Frame, r.DataLen)
		}
	}
	return e, nil
}

// isRequest reads the outer ICMP(v6) type t (the first value of field):
// an echo request, an echo reply, or errNotEcho for any other message.
// tshark's custom columns name ICMPv6 types ("Echo (ping) request") where
// -T fields gives their numbers; both are read.
func isRequest(t, field string) (bool, error) {
	switch t {
	case "8", "128", "Echo (ping) request":
		return true, nil
	case "0", "129", "Echo (ping) reply":
		return false, nil
	case "":
		return false, errors.New("no ICMP type")
	}
	if _, err := strconv.Atoi(t); err != nil && !isTypeName(t) {
		return false, fmt.Errorf("icmp type %q", field)
	}
	return false, errNotEcho
}

// isTypeName says whether t reads like one of tshark's names of an
// ICMPv6 type (words, from a letter).
func isTypeName(t string) bool {
	if t[0] < 'A' || t[0] > 'Z' {
		return false
	}
	for _, r := range t {
		if !(r == ' ' || r == '-' || r == '(' || r == ')' || r == '/' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')) {
			return false
		}
	}
	return true
}
