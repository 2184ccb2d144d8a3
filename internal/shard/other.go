package shard

import (
	"encoding/binary"
	"net/netip"

	"github.com/gopacket/gopacket/layers"
)

// Spreading what is not plain TCP (Plan.SpreadOther): a capture that is
// mostly UDP or ICMP would otherwise put nearly every packet in shard 0's
// one tshark. Such traffic goes by its address pair instead, both
// directions and every port together, since tshark keys the state it
// keeps of UDP and ICMP (conversations, echo matching, fragment
// reassembly, the wildcard-port conversations of TFTP and the like) by
// addresses. What might set up or carry dissection elsewhere stays in
// shard 0 in file order as before: frames that are not IP, tunnels
// (their inner connections are tshark's TCP streams) and ICMP errors
// (tshark dissects the packet they quote).

// pairKey is an address pair in a fixed order, the same for both
// directions.
type pairKey struct{ a, b netip.Addr }

// placeOther is the shard of a packet that is not plain TCP.
func (r *router) placeOther(link layers.LinkType, data []byte) int {
	ip, ok := IPPacket(link, data)
	if !ok {
		return 0
	}
	key, ok := otherPair(ip)
	if !ok {
		return 0
	}
	s, seen := r.pairs[key]
	if !seen {
		// The round robin TCP tuples take, so that a shard's share of the
		// units is even whatever their kind.
		s = int(r.ntuples % int64(r.k))
		r.ntuples++
		r.pairs[key] = s
	}
	return s
}

// otherPair is the address pair of an IP packet that may leave shard 0;
// ok is false for tunnels, ICMP errors and headers too short to tell.
func otherPair(ip []byte) (pairKey, bool) {
	var src, dst netip.Addr
	var proto byte
	var l4 []byte // the transport header, nil inside a later fragment
	switch ip[0] >> 4 {
	case 4:
		ihl := int(ip[0]&0x0f) * 4
		if ihl < 20 || len(ip) < ihl {
			return pairKey{}, false
		}
		src, _ = netip.AddrFromSlice(ip[12:16])
		dst, _ = netip.AddrFromSlice(ip[16:20])
		proto = ip[9]
		switch frag := binary.BigEndian.Uint16(ip[6:]); {
		case frag&0x3fff != 0 && (proto == 1 || proto == 17):
			// Only the first fragment shows the ports or ICMP type that
			// decide; every fragment must go where the first goes, for
			// tshark to reassemble the datagram, so all stay in shard 0
			// (as IPv6's do).
			return pairKey{}, false
		case frag&0x1fff == 0:
			l4 = ip[ihl:]
		}
	case 6:
		if len(ip) < 40 {
			return pairKey{}, false
		}
		src, _ = netip.AddrFromSlice(ip[8:24])
		dst, _ = netip.AddrFromSlice(ip[24:40])
		next, off := ip[6], 40
		for next == 0 || next == 43 || next == 60 {
			if len(ip) < off+8 {
				return pairKey{}, false
			}
			next, off = ip[off], off+8+int(ip[off+1])*8
		}
		if next == 44 || len(ip) < off { // fragments: parseTCP refuses them
			return pairKey{}, false
		}
		proto, l4 = next, ip[off:]
	default:
		return pairKey{}, false
	}
	if tunnelProto[proto] || (l4 != nil && quotes(proto, l4)) {
		return pairKey{}, false
	}
	if proto == 17 && len(l4) >= 4 && (tunnelPort[binary.BigEndian.Uint16(l4)] || tunnelPort[binary.BigEndian.Uint16(l4[2:])]) {
		return pairKey{}, false
	}
	if dst.Less(src) {
		src, dst = dst, src
	}
	return pairKey{src, dst}, true
}

// quotes says whether an ICMP or ICMPv6 message quotes another packet
// (or may: a header too short to tell).
func quotes(proto byte, l4 []byte) bool {
	switch proto {
	case 1:
		if len(l4) < 1 {
			return true
		}
		switch l4[0] {
		case 3, 4, 5, 11, 12: // unreachable, quench, redirect, time exceeded, parameter
			return true
		}
	case 58:
		return len(l4) < 1 || l4[0] < 128 // the error messages
	}
	return false
}

// tunnelProto are IP protocols that carry IP or Ethernet: IP in IP, IPv6
// in IP, GRE, EtherIP, L2TPv3, MPLS in IP.
var tunnelProto = map[byte]bool{4: true, 41: true, 47: true, 97: true, 115: true, 137: true}

// tunnelPort are UDP ports tshark 4.0 decodes by default as something
// that carries IP or Ethernet (`tshark -G decodes`): L2TP, GTP-U, Teredo,
// CAPWAP data, VXLAN (and Linux's old port), VXLAN-GPE, Geneve, LISP
// data, GRE in UDP, MPLS in UDP, TZSP and sFlow (whose sampled headers
// tshark dissects down to TCP).
var tunnelPort = map[uint16]bool{
	1701: true, 2152: true, 3544: true, 5247: true, 4789: true, 8472: true, 4790: true, 6081: true,
	4341: true, 4754: true, 6635: true, 37008: true, 6343: true,
}
