package http2

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/parse"
)

// Frame types as tshark's columns name them.
const (
	TypeData         = "DATA"
	TypeHeaders      = "HEADERS"
	TypeRSTStream    = "RST_STREAM"
	TypePushPromise  = "PUSH_PROMISE"
	TypeGoAway       = "GOAWAY"
	TypeContinuation = "CONTINUATION"
)

// Frame flags.
const (
	FlagEndStream  = 0x1
	FlagEndHeaders = 0x4
)

// Header is one decoded header field of a header block fragment.
type Header struct {
	Name, Value string
	// Known is false when the value could not be cut out of tshark's
	// joined values.
	Known bool
}

// Frame is one HTTP/2 frame of a packet.
type Frame struct {
	StreamID uint32
	Type     string
	Flags    uint8
	// Headers are the fields tshark decoded from this frame's own header
	// block fragment (HEADERS, PUSH_PROMISE, CONTINUATION).
	Headers []Header
	// ValuesKnown is false when some of the frame's header values could
	// not be cut apart (see Header.Known).
	ValuesKnown bool
	RSTError    string // RST_STREAM error name
	Promised    uint32 // PUSH_PROMISE promised stream id
	GoAwayLast  uint32 // GOAWAY last stream id
}

// Packet is one typed row.
type Packet struct {
	Frame    int64
	Time     parse.Time
	Src, Dst netip.AddrPort
	Conn     int64 // tcp.stream; -1 for a row without TCP
	// FirstSegment is the earliest frame number of the reassembled PDU
	// that completes in this packet (tcp.segment ∪ tls.segment); 0 when
	// there is none. It belongs to the packet's first HTTP/2 frame.
	FirstSegment int64
	Frames       []Frame
	// H1Method, H1URI: an HTTP/1 request in this packet; H1Code an HTTP/1
	// response code (0 when none); H1Upgrade the Upgrade header's value.
	H1Method, H1URI string
	H1Code          int
	H1Upgrade       string
	// ClientHello, Finished: TLS handshake messages seen (Finished only
	// when the connection was decrypted); SNI the ClientHello's server
	// name.
	ClientHello, Finished bool
	SNI                   string
}

// ToPacket converts a Row, validating every field it uses.
func ToPacket(r *Row) (Packet, error) {
	p := Packet{Conn: -1}
	var err error
	if p.Frame, p.Time, err = parse.ParseFrame(r.Frame, r.Time); err != nil {
		return p, err
	}
	if r.Stream == "" {
		return p, nil
	}
	if err := p.addrs(r); err != nil {
		return p, fmt.Errorf("frame %d: %w", p.Frame, err)
	}
	if err := p.segments(r); err != nil {
		return p, fmt.Errorf("frame %d: %w", p.Frame, err)
	}
	if err := p.frames(r); err != nil {
		return p, fmt.Errorf("frame %d: %w", p.Frame, err)
	}
	p.h1(r)
	hs := r.TLSHSTypes
	p.ClientHello = strings.Contains(hs, "Client Hello")
	p.Finished = strings.Contains(hs, "Finished")
	p.SNI = parse.LastValue(r.SNI)
	return p, nil
}

func (p *Packet) addrs(r *Row) error {
	src, err := parse.PickAddr(r.IPSrc, r.IPv6Src)
	if err != nil {
		return fmt.Errorf("source address: %w", err)
	}
	dst, err := parse.PickAddr(r.IPDst, r.IPv6Dst)
	if err != nil {
		return fmt.Errorf("destination address: %w", err)
	}
	sp, err := parse.ParsePort(r.SrcPort)
	if err != nil {
		return fmt.Errorf("tcp.srcport: %w", err)
	}
	dp, err := parse.ParsePort(r.DstPort)
	if err != nil {
		return fmt.Errorf("tcp.dstport: %w", err)
	}
	p.Src, p.Dst = netip.AddrPortFrom(src, sp), netip.AddrPortFrom(dst, dp)
	if p.Conn, err = strconv.ParseInt(r.Stream, 10, 64); err != nil || p.Conn < 0 {
		return fmt.Errorf("tcp.stream %q", r.Stream)
	}
	return nil
}

// segments takes the smallest frame number of both reassembly lists: over
// TLS the list is tls.segment, in clear tcp.segment, and on a real network
// both can be present.
func (p *Packet) segments(r *Row) error {
	for _, list := range []string{r.TCPSegments, r.TLSSegments} {
		if list == "" {
			continue
		}
		for _, s := range strings.Split(list, ",") {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil || n <= 0 {
				return fmt.Errorf("segment list %q", parse.Excerpt(list))
			}
			if p.FirstSegment == 0 || n < p.FirstSegment {
				p.FirstSegment = n
			}
		}
	}
	return nil
}

// h1 reads the HTTP/1 message fields an Upgrade: h2c needs.
func (p *Packet) h1(r *Row) {
	p.H1Method, _, _ = strings.Cut(r.H1Methods, ",")
	p.H1URI = r.H1URIs
	if c, err := strconv.Atoi(parse.LastValue(r.H1Codes)); err == nil {
		p.H1Code = c
	}
	p.H1Upgrade = strings.ToLower(r.H1Upgrade)
}
