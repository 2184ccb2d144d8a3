package synth

import (
	"encoding/binary"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// encapsulator wraps a captured frame the way a remote mirror delivers it
// to a collector: outer Ethernet, IPv4 (protocol 47) and a GRE header,
// then for ERSPAN its own header, then the mirrored frame. The outer
// addresses are the mirroring switch (10.99.0.1) and the collector
// (10.99.0.2); GRE sequence numbers count the mirrored frames, as a
// switch numbers what it sends (so a collector could see the mirror's
// own drops, which this capture does not model: its drops happen before
// encapsulation).
type encapsulator struct {
	kind string
	seq  uint32
	buf  gopacket.SerializeBuffer
}

// GRE protocol types of what follows the GRE header.
const (
	greTEB     = 0x6558 // transparent Ethernet bridging
	greERSPAN2 = 0x88be
	greERSPAN3 = 0x22eb
	mirrorSess = 42 // ERSPAN session id
)

func (m *encapsulator) wrap(frame []byte, t int64) ([]byte, error) {
	var hdr []byte
	switch m.kind {
	case "gre":
		hdr = binary.BigEndian.AppendUint16(nil, 0) // no flags, version 0
		hdr = binary.BigEndian.AppendUint16(hdr, greTEB)
	case "erspan2":
		hdr = m.greSeq(greERSPAN2)
		// Version 1 (type II), VLAN 0; COS 0, En 0 (untagged), T 0,
		// session; reserved, index 0.
		hdr = binary.BigEndian.AppendUint16(hdr, 1<<12)
		hdr = binary.BigEndian.AppendUint16(hdr, mirrorSess)
		hdr = binary.BigEndian.AppendUint32(hdr, 0)
	case "erspan3":
		hdr = m.greSeq(greERSPAN3)
		// Version 2 (type III), VLAN 0; COS, BSO, T 0, session.
		hdr = binary.BigEndian.AppendUint16(hdr, 2<<12)
		hdr = binary.BigEndian.AppendUint16(hdr, mirrorSess)
		// Timestamp in 100 µs units (granularity 00), low 32 bits.
		hdr = binary.BigEndian.AppendUint32(hdr, uint32(t/100_000))
		// SGT 0; P 0 (Ethernet frame), FT 0, HW ID 1, D 0 (ingress),
		// Gra 00, O 0 (no platform sub-header).
		hdr = binary.BigEndian.AppendUint16(hdr, 0)
		hdr = binary.BigEndian.AppendUint16(hdr, 1<<4)
	}
	if m.buf == nil {
		m.buf = gopacket.NewSerializeBuffer()
	}
	eth := &layers.Ethernet{SrcMAC: []byte{0x02, 0, 0, 0, 0x99, 1}, DstMAC: []byte{0x02, 0, 0, 0, 0x99, 2}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolGRE,
		SrcIP: []byte{10, 99, 0, 1}, DstIP: []byte{10, 99, 0, 2}, Id: uint16(m.seq)}
	inner := append(hdr, frame...)
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	if err := gopacket.SerializeLayers(m.buf, opts, eth, ip, gopacket.Payload(inner)); err != nil {
		return nil, err
	}
	m.seq++
	return m.buf.Bytes(), nil
}

// greSeq is a GRE header with the sequence number present, as ERSPAN
// type II and III require.
func (m *encapsulator) greSeq(proto uint16) []byte {
	h := []byte{0x10, 0} // S bit
	h = binary.BigEndian.AppendUint16(h, proto)
	return binary.BigEndian.AppendUint32(h, m.seq)
}
