package shard

import (
	"encoding/binary"
	"fmt"
	"math/bits"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

type pkt struct {
	ok       bool // a plain TCP packet
	src, dst netip.AddrPort
	flags    uint8
	flags12  uint16 // tcp.flags: reserved bits, AE (NS) and flags
	seq, ack uint32
	win      uint16
	// payload is the TCP payload's length by the IP header's own count
	// (not the captured bytes, which a snap length cuts and Ethernet
	// pads); -1 when the IP header does not say (TSO captures with a
	// zero total length, IPv6 jumbograms).
	payload int
}

// parseTCP finds the IP and TCP headers of a packet. Anything that is not
// plain TCP over IPv4/IPv6 returns ok = false (it goes to shard 0); shapes
// whose flow cannot be told (IP fragments, IPv6 extension headers) return
// ErrUnsupported.
func parseTCP(link layers.LinkType, b []byte) (pkt, error) {
	ip, err := linkPayload(link, b)
	if err != nil || len(ip) < 1 {
		return pkt{}, err
	}
	var tcp []byte
	var src, dst netip.Addr
	seg := -1 // TCP header and payload, by the IP header
	switch ip[0] >> 4 {
	case 4:
		// The length fields are read only once the header parsed: a
		// packet cut inside the IP header has none.
		tcp, src, dst, err = ipv4TCP(ip)
		if err == nil && tcp != nil {
			if tot := int(binary.BigEndian.Uint16(ip[2:])); tot > 0 {
				seg = tot - int(ip[0]&0x0f)*4
			}
		}
	case 6:
		tcp, src, dst, err = ipv6TCP(ip)
		if err == nil && tcp != nil {
			if pl := int(binary.BigEndian.Uint16(ip[4:])); pl > 0 {
				seg = pl - (len(ip) - 40 - len(tcp)) // minus extension headers
			}
		}
	}
	if err != nil || tcp == nil {
		return pkt{}, err
	}
	payload := -1
	if doff := int(tcp[12]>>4) * 4; seg >= doff && doff >= 20 {
		payload = seg - doff
	}
	return pkt{
		win:     binary.BigEndian.Uint16(tcp[14:]),
		payload: payload,
		ok:      true,
		src:     netip.AddrPortFrom(src, binary.BigEndian.Uint16(tcp)),
		dst:     netip.AddrPortFrom(dst, binary.BigEndian.Uint16(tcp[2:])),
		seq:     binary.BigEndian.Uint32(tcp[4:]),
		ack:     binary.BigEndian.Uint32(tcp[8:]),
		flags:   tcp[13],
		flags12: uint16(tcp[12]&0x0f)<<8 | uint16(tcp[13]),
	}, nil
}

// linkPayload strips the link-layer header: the IP packet, or nil for a
// frame that carries none. Only a header that says IP (ethertype, SLL
// protocol, null family) and an IP version that agrees count, as tshark
// dissects them; a link type this does not read is ErrUnsupported.
func linkPayload(link layers.LinkType, b []byte) ([]byte, error) {
	var et uint16 // 0: the link says nothing, the version alone decides
	switch link {
	case layers.LinkTypeEthernet:
		if len(b) < 14 {
			return nil, nil
		}
		off := 14
		et = binary.BigEndian.Uint16(b[12:])
		for (et == 0x8100 || et == 0x88a8) && len(b) >= off+4 {
			et, off = binary.BigEndian.Uint16(b[off+2:]), off+4
		}
		b = b[off:]
	case layers.LinkTypeNull, layers.LinkTypeLoop:
		if len(b) < 4 {
			return nil, nil
		}
		et = nullFamily(link, binary.LittleEndian.Uint32(b))
		b = b[4:]
	case layers.LinkTypeRaw, layers.LinkType(12), layers.LinkTypeIPv4, layers.LinkTypeIPv6:
	case layers.LinkTypeLinuxSLL:
		if len(b) < 16 {
			return nil, nil
		}
		et, b = binary.BigEndian.Uint16(b[14:]), b[16:]
	case layers.LinkType(276): // Linux SLL2
		if len(b) < 20 {
			return nil, nil
		}
		et, b = binary.BigEndian.Uint16(b), b[20:]
	default:
		return nil, fmt.Errorf("%w: link type %d", ErrUnsupported, link)
	}
	if len(b) < 1 {
		return nil, nil
	}
	switch v := b[0] >> 4; {
	case v == 4 && (et == 0 || et == 0x0800), v == 6 && (et == 0 || et == 0x86DD):
		return b, nil
	}
	return nil, nil
}

// nullFamily is the ethertype a BSD loopback header's address family
// stands for (1 for none): AF_INET is 2 everywhere, AF_INET6 24, 28 or
// 30 by system. LinkTypeNull's family is in the capturing host's byte
// order, which tshark guesses as here; LinkTypeLoop's is big-endian.
func nullFamily(link layers.LinkType, le uint32) uint16 {
	fam := le
	if link == layers.LinkTypeLoop || fam&0xffff0000 != 0 {
		fam = bits.ReverseBytes32(fam)
	}
	switch fam {
	case 2:
		return 0x0800
	case 24, 28, 30:
		return 0x86DD
	case 0x0800, 0x86DD: // above 1500, tshark reads an ethertype
		return uint16(fam)
	}
	return 1
}

// IPPacket is the IP packet a frame of link carries, as linkPayload finds
// it; ok is false for a frame without one or a link type this does not
// read.
func IPPacket(link layers.LinkType, b []byte) (ip []byte, ok bool) {
	ip, err := linkPayload(link, b)
	return ip, err == nil && ip != nil
}

// minNumbered is the fewest bytes of TCP segment, by the IP header's
// length, that tshark gives a tcp.stream (measured on tshark 4.0: 15 get
// none, 16 to 19 get one before the header is found malformed).
const minNumbered = 16

// ipv4TCP returns the TCP header (at least 20 bytes) and the addresses of
// an IPv4 packet, or a nil header when it carries no whole one.
func ipv4TCP(ip []byte) ([]byte, netip.Addr, netip.Addr, error) {
	var none netip.Addr
	if len(ip) < 20 || ip[9] != 6 {
		return nil, none, none, nil
	}
	if frag := binary.BigEndian.Uint16(ip[6:]); frag&0x3fff != 0 {
		return nil, none, none, fmt.Errorf("%w: fragmented TCP", ErrUnsupported)
	}
	ihl := int(ip[0]&0x0f) * 4
	if len(ip) < ihl+20 {
		return nil, none, none, nil
	}
	// tshark stops at a header length under 20 and gives no tcp.stream
	// to a segment its total length makes shorter than 16 bytes (0 is
	// TSO's, which it dissects): counting such a packet as a connection
	// would shift the numbering of every later one.
	if tot := int(binary.BigEndian.Uint16(ip[2:])); ihl < 20 || (tot != 0 && tot < ihl+minNumbered) {
		return nil, none, none, nil
	}
	src, _ := netip.AddrFromSlice(ip[12:16])
	dst, _ := netip.AddrFromSlice(ip[16:20])
	return ip[ihl:], src, dst, nil
}

// ipv6TCP is ipv4TCP for IPv6: it walks hop-by-hop, routing and
// destination options headers to the transport header; a fragment header
// ends the walk.
func ipv6TCP(ip []byte) ([]byte, netip.Addr, netip.Addr, error) {
	var none netip.Addr
	if len(ip) < 40 {
		return nil, none, none, nil
	}
	next, off := ip[6], 40
	for next == 0 || next == 43 || next == 60 {
		if len(ip) < off+8 {
			return nil, none, none, nil
		}
		next, off = ip[off], off+8+int(ip[off+1])*8
	}
	if next == 44 {
		return nil, none, none, fmt.Errorf("%w: IPv6 fragments", ErrUnsupported)
	}
	if next != 6 || len(ip) < off+20 {
		return nil, none, none, nil
	}
	// As for IPv4, tshark numbers no connection for a segment the payload
	// length makes shorter than 16 bytes, nor for a payload length of 0
	// without a hop-by-hop header (that could hold a jumbo payload).
	if pl := int(binary.BigEndian.Uint16(ip[4:])); (pl == 0 && ip[6] != 0) || (pl != 0 && pl < off-40+minNumbered) {
		return nil, none, none, nil
	}
	src, _ := netip.AddrFromSlice(ip[8:24])
	dst, _ := netip.AddrFromSlice(ip[24:40])
	return ip[off:], src, dst, nil
}
