package shard

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
)

// Probe is what a quick read of a capture's raw bytes says it may hold
// beyond HTTP/1: whether a second tshark run for TLS and HTTP/2 can find
// anything, and the QUIC connections that no pass dissects. It is a
// lower bound: a connection whose start is not in the capture shows none
// of these, and tshark could not decrypt or recognise it either.
type Probe struct {
	// ClientHellos counts TCP segments that start with a TLS handshake
	// record holding a ClientHello.
	ClientHellos int
	// H2Prefaces counts TCP segments that start with the HTTP/2 client
	// connection preface (h2c with prior knowledge).
	H2Prefaces int
	// QUIC counts QUIC connections by server: distinct client/server UDP
	// pairs whose client sent a long-header Initial packet.
	QUIC map[netip.AddrPort]int
}

// h2Preface is the start of the HTTP/2 client connection preface.
var h2Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

// ProbeFile reads path's packets (no tshark) and reports what Probe says.
// It reads the whole file, looking up at ctx every 1024 packets; a packet
// it cannot parse is skipped, since the probe only ever adds reasons to
// dissect.
func ProbeFile(ctx context.Context, path string) (Probe, error) {
	pr := Probe{QUIC: map[netip.AddrPort]int{}}
	in, err := openCapture(path)
	if err != nil {
		return pr, err
	}
	defer in.Close()
	next, link, _, err := packets(in)
	if err != nil {
		return pr, err
	}
	seen := map[[2]netip.AddrPort]bool{}
	for n := 0; ; n++ {
		if n&0x3ff == 0 && ctx.Err() != nil {
			return pr, ctx.Err()
		}
		data, _, err := next()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			return pr, nil
		}
		if err != nil {
			return pr, err
		}
		ip, err := linkPayload(link, data)
		if err != nil {
			return pr, err
		}
		pr.packet(ip, seen)
	}
}

// packet looks at one IP packet.
func (pr *Probe) packet(ip []byte, seen map[[2]netip.AddrPort]bool) {
	proto, src, dst, l4 := transport(ip)
	switch {
	case proto == 6 && len(l4) >= 20:
		off := int(l4[12]>>4) * 4
		if off < 20 || len(l4) < off {
			return
		}
		p := l4[off:]
		if len(p) >= 6 && p[0] == 0x16 && p[1] == 3 && p[2] <= 4 && p[5] == 1 {
			pr.ClientHellos++
		}
		if bytes.HasPrefix(p, h2Preface) {
			pr.H2Prefaces++
		}
	case proto == 17 && len(l4) >= 8+7:
		if !clientInitial(l4[8:]) {
			return
		}
		c := netip.AddrPortFrom(src, binary.BigEndian.Uint16(l4))
		s := netip.AddrPortFrom(dst, binary.BigEndian.Uint16(l4[2:]))
		if k := [2]netip.AddrPort{c, s}; !seen[k] && !seen[[2]netip.AddrPort{s, c}] {
			seen[k] = true
			pr.QUIC[s]++
		}
	}
}

// clientInitial says whether a UDP payload is a QUIC client's Initial:
// a long header with the fixed bit and packet type Initial, a QUIC
// version (1, 2, or a draft's 0xff0000xx), a connection id of at most 20
// bytes, and the 1200-byte datagram a client's Initial is padded to
// (RFC 9000 §14.1). The size and version rule out DNS and LLMNR, whose
// query ids can look like a long header.
func clientInitial(p []byte) bool {
	if len(p) < 1200 || p[0]&0xf0 != 0xc0 || p[5] > 20 {
		return false
	}
	v := binary.BigEndian.Uint32(p[1:])
	return v == 1 || v == 0x6b3343cf || v>>8 == 0xff0000
}

// transport returns an IP packet's protocol, addresses and transport
// bytes (nil for a fragment after the first, or a cut header).
func transport(ip []byte) (uint8, netip.Addr, netip.Addr, []byte) {
	var none netip.Addr
	if len(ip) < 1 {
		return 0, none, none, nil
	}
	switch ip[0] >> 4 {
	case 4:
		if len(ip) < 20 || binary.BigEndian.Uint16(ip[6:])&0x1fff != 0 {
			return 0, none, none, nil
		}
		ihl := int(ip[0]&0x0f) * 4
		if ihl < 20 || len(ip) < ihl {
			return 0, none, none, nil
		}
		src, _ := netip.AddrFromSlice(ip[12:16])
		dst, _ := netip.AddrFromSlice(ip[16:20])
		return ip[9], src, dst, ip[ihl:]
	case 6:
		if len(ip) < 40 {
			return 0, none, none, nil
		}
		next, off := ip[6], 40
		for next == 0 || next == 43 || next == 60 {
			if len(ip) < off+8 {
				return 0, none, none, nil
			}
			next, off = ip[off], off+8+int(ip[off+1])*8
		}
		if len(ip) < off {
			return 0, none, none, nil
		}
		src, _ := netip.AddrFromSlice(ip[8:24])
		dst, _ := netip.AddrFromSlice(ip[24:40])
		return next, src, dst, ip[off:]
	}
	return 0, none, none, nil
}
