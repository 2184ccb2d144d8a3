package synth

import (
	"bufio"
	"io"
	"strings"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// write serialises the captured packets, in capture order.
func (g *gen) write(w io.Writer, captured []pkt) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	var writePacket func(ci gopacket.CaptureInfo, data []byte) error
	var flush func() error
	if g.cfg.PCAPNG {
		ng, err := pcapgo.NewNgWriterInterface(bw, pcapgo.NgInterface{Name: "synth0", LinkType: layers.LinkTypeEthernet, SnapLength: 262144}, pcapgo.NgWriterOptions{})
		if err != nil {
			return err
		}
		writePacket, flush = ng.WritePacket, ng.Flush
	} else {
		pw := pcapgo.NewWriterNanos(bw)
		if err := pw.WriteFileHeader(262144, layers.LinkTypeEthernet); err != nil {
			return err
		}
		writePacket, flush = pw.WritePacket, func() error { return nil }
	}
	buf := gopacket.NewSerializeBuffer()
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	cliMAC := []byte{0x02, 0, 0, 0, 0, 1}
	srvMAC := []byte{0x02, 0, 0, 0, 0, 2}
	filler := []byte(strings.Repeat("x", 65536))
	var mirror *encapsulator
	if g.cfg.Encap != "" {
		mirror = &encapsulator{kind: g.cfg.Encap}
	}
	for _, p := range captured {
		cli, srv := g.addrs(p.conn)
		src, dst := srv, cli
		eth := &layers.Ethernet{SrcMAC: srvMAC, DstMAC: cliMAC}
		if p.fromCli {
			src, dst = cli, srv
			eth.SrcMAC, eth.DstMAC = cliMAC, srvMAC
		}
		tcp := &layers.TCP{
			SrcPort: layers.TCPPort(src.Port()), DstPort: layers.TCPPort(dst.Port()),
			Seq: p.seq, Ack: p.ack, Window: 65535,
			FIN: p.flags&fFIN != 0, SYN: p.flags&fSYN != 0, RST: p.flags&fRST != 0,
			PSH: p.flags&fPSH != 0, ACK: p.flags&fACK != 0,
		}
		var ipLayer gopacket.SerializableLayer
		if g.cfg.IPv6 {
			eth.EthernetType = layers.EthernetTypeIPv6
			ip := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice()}
			tcp.SetNetworkLayerForChecksum(ip)
			ipLayer = ip
		} else {
			eth.EthernetType = layers.EthernetTypeIPv4
			ip := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src.Addr().AsSlice(), DstIP: dst.Addr().AsSlice(), Flags: layers.IPv4DontFragment}
			tcp.SetNetworkLayerForChecksum(ip)
			ipLayer = ip
		}
		payload := p.payload
		if len(payload) < p.n {
			payload = append(payload, filler[:p.n-len(payload)]...)
		}
		if err := gopacket.SerializeLayers(buf, opts, eth, ipLayer, tcp, gopacket.Payload(payload)); err != nil {
			return err
		}
		data := buf.Bytes()
		if mirror != nil {
			var err error
			if data, err = mirror.wrap(data, p.t); err != nil {
				return err
			}
		}
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(0, p.t).UTC(), CaptureLength: len(data), Length: len(data)}
		if err := writePacket(ci, data); err != nil {
			return err
		}
	}
	if err := flush(); err != nil {
		return err
	}
	return bw.Flush()
}
