package http1

import (
	"net/netip"

	"github.com/pcapmeter/pcapmeter/parse"
)

// JoinFields are the columns of a run whose packet headers come from
// elsewhere (the splitter, internal/shard, which parses every header
// anyway): only what tshark alone knows. The frame number joins a row to
// its header; tcp.stream is kept to check that tshark numbered the
// connections as the header's source did, and tcp.len because it is
// tshark's own reading of the payload (TSO captures, whose IP header gives
// no length); tls.segment because over TLS it, not tcp.segment, holds an
// HTTP message's first frame. Leaving out the other 9 header columns saves ~19% of
// tshark's CPU on the HTTP rows (issue 15).
var JoinFields = []string{
	"frame.number", "tcp.stream", "tcp.len",
	"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
	"tcp.analysis.out_of_order", "tcp.segment", "tls.segment",
	"http.request.method", "http.request.uri", "http.host", "http.response.code", "http.request_in",
	"udp.srcport", "http.content_length",
}

// Header is a packet's header as read outside tshark, in tshark's terms:
// what JoinFields leave out.
type Header struct {
	Time     parse.Time
	Src, Dst netip.AddrPort
	// Seq and Ack are tshark's relative numbers.
	Seq, Ack uint32
	Flags    uint16
}

// ToJoinedPacket converts a row of JoinFields; Join then adds the header.
// The two steps are apart so that the caller, which finds the header by
// the frame number, can tell a header it has not from a bad row.
func ToJoinedPacket(r *Row) (Packet, error) {
	return convert(r, false)
}

// Join completes a packet of ToJoinedPacket with its header: the packet is
// then what ToPacket makes of tshark's full row (TestJoinedHeaders).
func (p *Packet) Join(h *Header) {
	p.Time = h.Time
	if !p.HasStream {
		return
	}
	p.Src, p.SrcPort = h.Src.Addr(), h.Src.Port()
	p.Dst, p.DstPort = h.Dst.Addr(), h.Dst.Port()
	p.Seq, p.Ack, p.Flags = h.Seq, h.Ack, h.Flags
}
