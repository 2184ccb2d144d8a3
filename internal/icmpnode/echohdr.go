package icmpnode

import (
	"encoding/binary"
	"net/netip"
	"strconv"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/parse"
)

// Header reading for the joined path (join.go): of a plain echo, one ICMP
// or ICMPv6 echo directly in an unfragmented IP packet on a link this
// reads, everything an Echo holds but the payload length is in the first
// bytes of the packet. Anything else (tunnels, ICMP errors, fragments,
// IPv6 extension headers, other links) gets no header here, and the
// joiner then sends the whole capture back to tshark's full rows.

// echoHead is what the splitter reads of a plain echo, kept small because
// a shard's queue holds tens of thousands of them while tshark catches up
// (the Echo it becomes is twice the size, with two strings allocated).
type echoHead struct {
	time        parse.Time
	src, dst    netip.Addr
	frameLen    int32
	id, seq     uint16
	ttl         uint8
	v6, request bool
}

// echo is the Echo of frame's head, identifier and sequence number in
// tshark's column forms (ICMP "1226 (0x04ca)" for both, ICMPv6 "0x04ca"
// and "1226").
func (h *echoHead) echo(frame int64) Echo {
	e := Echo{Frame: frame, Time: h.time, Src: h.src, Dst: h.dst, TTL: int(h.ttl), V6: h.v6, Request: h.request, FrameLen: int(h.frameLen)}
	if h.v6 {
		e.ID, e.Seq = hex4(h.id), strconv.Itoa(int(h.seq))
	} else {
		e.ID, e.Seq = decHex(h.id), decHex(h.seq)
	}
	return e
}

// plainHead reads a packet as a plain echo; ok is false for anything
// else. The time is the shard's (shardTime), the frame length the
// original one.
func plainHead(link layers.LinkType, ci gopacket.CaptureInfo, data []byte) (e echoHead, ok bool) {
	ip, ok := shard.IPPacket(link, data)
	if !ok || len(ip) < 1 {
		return e, false
	}
	var icmp []byte
	switch ip[0] >> 4 {
	case 4:
		ihl := int(ip[0]&0x0f) * 4
		if ihl < 20 || len(ip) < ihl+8 || ip[9] != 1 || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return e, false
		}
		e.src, _ = netip.AddrFromSlice(ip[12:16])
		e.dst, _ = netip.AddrFromSlice(ip[16:20])
		e.ttl, icmp = ip[8], ip[ihl:]
		switch icmp[0] {
		case 8:
			e.request = true
		case 0:
		default:
			return e, false
		}
	case 6:
		if len(ip) < 48 || ip[6] != 58 {
			return e, false
		}
		e.v6 = true
		e.src, _ = netip.AddrFromSlice(ip[8:24])
		e.dst, _ = netip.AddrFromSlice(ip[24:40])
		e.ttl, icmp = ip[7], ip[40:]
		switch icmp[0] {
		case 128:
			e.request = true
		case 129:
		default:
			return e, false
		}
	default:
		return e, false
	}
	e.id, e.seq = binary.BigEndian.Uint16(icmp[4:]), binary.BigEndian.Uint16(icmp[6:])
	e.time = parse.Time(int64(uint32(ci.Timestamp.Unix()))*1e9 + int64(ci.Timestamp.Nanosecond()))
	e.frameLen = int32(ci.Length)
	return e, true
}

// decHex is tshark's column form of icmp.ident and icmp.seq: "1226 (0x04ca)".
func decHex(v uint16) string { return strconv.Itoa(int(v)) + " (" + hex4(v) + ")" }

// hex4 is "0x04ca".
func hex4(v uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{'0', 'x', digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}
