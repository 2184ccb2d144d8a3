package shard

import (
	"encoding/binary"
	"math"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TCP connection analysis (internal/tcpconn) reads every TCP packet's
// header from the splitter's own parse, through a Watcher, instead of
// having tshark print it; these are the splitter's readings it needs,
// exported without exposing the router.

// TCPHeader is a plain TCP packet's headers as the splitter reads them.
type TCPHeader struct {
	// Time is frame.time_epoch in nanoseconds, as written to a shard.
	Time     int64
	Src, Dst netip.AddrPort
	// Seq and Ack are the raw numbers (SeqAnchors makes them relative).
	Seq, Ack uint32
	// Flags is tcp.flags: the 12 bits after the data offset.
	Flags uint16
	// IPID is the IPv4 identification (HasIPID false for IPv6).
	IPID    uint16
	HasIPID bool
}

// ReadTCP reads a packet as the splitter routes it: ok is true for a
// plain TCP packet (one TCP header over unfragmented IPv4 or IPv6 on a
// link the splitter reads), the packets it numbers connections with. A
// timestamp outside what a shard's pcap carries (seconds in 32 bits) is
// not ok either: the shard's tshark would see another time than the
// file's.
func ReadTCP(link layers.LinkType, ci gopacket.CaptureInfo, data []byte) (h TCPHeader, ok bool) {
	if sec := ci.Timestamp.Unix(); sec < 0 || sec > math.MaxUint32 {
		return h, false
	}
	p, err := parseTCP(link, data)
	if err != nil || !p.ok {
		return h, false
	}
	h = TCPHeader{Time: shardTime(ci.Timestamp), Src: p.src, Dst: p.dst, Seq: p.seq, Ack: p.ack, Flags: p.flags12}
	if p.src.Addr().Is4() {
		// parseTCP found an IPv4 header, so the link payload holds one.
		ip, _ := linkPayload(link, data)
		h.IPID, h.HasIPID = binary.BigEndian.Uint16(ip[4:]), true
	}
	return h, true
}

// SeqAnchors turns one connection's raw sequence and acknowledgement
// numbers into tshark's relative ones (tcp.seq, tcp.ack), shown each of
// the connection's packets in order; fromA says the packet comes from the
// side that sent the connection's first packet.
type SeqAnchors struct{ rb relBase }

// Relative returns h's relative numbers; ack is the raw field when the
// ACK flag is not set.
func (a *SeqAnchors) Relative(fromA bool, h *TCPHeader) (seq, ack uint32) {
	d := 1
	if fromA {
		d = 0
	}
	return a.rb.relative(d, pkt{seq: h.Seq, ack: h.Ack, flags: uint8(h.Flags)})
}
