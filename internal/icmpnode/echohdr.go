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

// plainEcho reads a packet as a plain echo; ok is false for anything else.
// The time is the shard's (shardTime), the frame length the original one,
// identifier and sequence number in the form tshark's columns print them.
func plainEcho(link layers.LinkType, ci gopacket.CaptureInfo, data []byte) (e Echo, ok bool) {
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
		e.Src, _ = netip.AddrFromSlice(ip[12:16])
		e.Dst, _ = netip.AddrFromSlice(ip[16:20])
		e.TTL, icmp = int(ip[8]), ip[ihl:]
		switch icmp[0] {
		case 8:
			e.Request = true
		case 0:
		default:
			return e, false
		}
		id, seq := binary.BigEndian.Uint16(icmp[4:]), binary.BigEndian.Uint16(icmp[6:])
		e.ID, e.Seq = decHex(id), decHex(seq)
	case 6:
		if len(ip) < 48 || ip[6] != 58 {
			return e, false
		}
		e.V6 = true
		e.Src, _ = netip.AddrFromSlice(ip[8:24])
		e.Dst, _ = netip.AddrFromSlice(ip[24:40])
		e.TTL, icmp = int(ip[7]), ip[40:]
		switch icmp[0] {
		case 128:
			e.Request = true
		case 129:
		default:
			return e, false
		}
		id, seq := binary.BigEndian.Uint16(icmp[4:]), binary.BigEndian.Uint16(icmp[6:])
		e.ID, e.Seq = hex4(id), strconv.Itoa(int(seq))
	default:
		return e, false
	}
	e.Time = parse.Time(int64(uint32(ci.Timestamp.Unix()))*1e9 + int64(ci.Timestamp.Nanosecond()))
	e.FrameLen = ci.Length
	return e, true
}

// decHex is tshark's column form of icmp.ident and icmp.seq: "1226 (0x04ca)".
func decHex(v uint16) string { return strconv.Itoa(int(v)) + " (" + hex4(v) + ")" }

// hex4 is "0x04ca".
func hex4(v uint16) string {
	const digits = "0123456789abcdef"
	return string([]byte{'0', 'x', digits[v>>12], digits[v>>8&15], digits[v>>4&15], digits[v&15]})
}
