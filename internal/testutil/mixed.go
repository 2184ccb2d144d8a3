package testutil

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// MixedCapture writes (into t's temporary folder) an Ethernet pcap that
// is mostly not TCP, for the splitters that spread such traffic by
// address pair: pairs address pairs, each with 25 rounds of a DNS query
// and its answer and an echo request and its reply (100 packets a pair),
// the pairs interleaved round by round, with
// a few TCP connections (a handshake, a request, an answer, a close:
// 8 packets each), ARP (not IP) and ICMP port unreachables quoting a UDP
// datagram (an ICMP error), neither of which may leave shard 0. It
// returns the path and the number of packets.
func MixedCapture(t testing.TB, pairs int) (string, int) {
	t.Helper()
	path := filepath.Join(t.TempDir(), fmt.Sprintf("mixed-%d.pcap", pairs))
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	m := mixed{t: t, w: w, ts: time.Unix(1_700_000_000, 0)}
	for round := range 25 {
		for p := range pairs {
			client := net.IPv4(10, 1, byte(p/200), byte(p%200+1))
			server := net.IPv4(10, 2, 0, byte(p%7+1))
			m.dns(client, server, uint16(round*pairs+p), round)
			m.ping(client, server, uint16(p), uint16(round))
		}
		if round%5 == 0 {
			m.tcp(net.IPv4(10, 3, 0, 1), net.IPv4(10, 3, 0, 2), uint16(40000+round))
			m.arp(net.IPv4(10, 1, 0, 1), net.IPv4(10, 1, 0, 254))
			m.unreachable(net.IPv4(10, 2, 0, 1), net.IPv4(10, 1, 0, 1))
		}
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path, m.n
}

// mixed writes MixedCapture's frames, 1 ms apart.
type mixed struct {
	t  testing.TB
	w  *pcapgo.Writer
	ts time.Time
	n  int
}

var macA, macB = net.HardwareAddr{2, 0, 0, 0, 0, 1}, net.HardwareAddr{2, 0, 0, 0, 0, 2}

func (m *mixed) write(ls ...gopacket.SerializableLayer) {
	m.t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		m.t.Fatal(err)
	}
	b := buf.Bytes()
	m.ts = m.ts.Add(time.Millisecond)
	if err := m.w.WritePacket(gopacket.CaptureInfo{Timestamp: m.ts, CaptureLength: len(b), Length: len(b)}, b); err != nil {
		m.t.Fatal(err)
	}
	m.n++
}

func ipv4(src, dst net.IP, proto layers.IPProtocol) (*layers.Ethernet, *layers.IPv4) {
	return &layers.Ethernet{SrcMAC: macA, DstMAC: macB, EthernetType: layers.EthernetTypeIPv4},
		&layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst}
}

func (m *mixed) udp(src, dst net.IP, sport, dport uint16, payload ...gopacket.SerializableLayer) {
	eth, ip := ipv4(src, dst, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		m.t.Fatal(err)
	}
	m.write(append([]gopacket.SerializableLayer{eth, ip, u}, payload...)...)
}

// dns is a query for an A record and its answer.
func (m *mixed) dns(client, server net.IP, id uint16, round int) {
	q := layers.DNSQuestion{Name: []byte(fmt.Sprintf("h%d.example.com", round)), Type: layers.DNSTypeA, Class: layers.DNSClassIN}
	port := 10000 + id%5000
	m.udp(client, server, port, 53, &layers.DNS{ID: id, RD: true, QDCount: 1, Questions: []layers.DNSQuestion{q}})
	a := layers.DNSResourceRecord{Name: q.Name, Type: layers.DNSTypeA, Class: layers.DNSClassIN, TTL: 60, IP: net.IPv4(192, 0, 2, byte(round))}
	m.udp(server, client, 53, port, &layers.DNS{ID: id, QR: true, RD: true, RA: true, QDCount: 1, ANCount: 1,
		Questions: []layers.DNSQuestion{q}, Answers: []layers.DNSResourceRecord{a}})
}

// ping is an echo request and its reply.
func (m *mixed) ping(client, server net.IP, id, seq uint16) {
	for i, ends := range [2][2]net.IP{{client, server}, {server, client}} {
		eth, ip := ipv4(ends[0], ends[1], layers.IPProtocolICMPv4)
		var typ uint8 = layers.ICMPv4TypeEchoRequest
		if i == 1 {
			typ = layers.ICMPv4TypeEchoReply
		}
		m.write(eth, ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0), Id: id, Seq: seq}, gopacket.Payload("pcapmeter-ping-payload"))
	}
}

// tcp is one short connection.
func (m *mixed) tcp(client, server net.IP, port uint16) {
	seg := func(fromClient bool, syn, ack, fin, psh bool, seq, ackn uint32, data string) {
		src, dst, sp, dp := client, server, port, uint16(8080)
		if !fromClient {
			src, dst, sp, dp = server, client, 8080, port
		}
		eth, ip := ipv4(src, dst, layers.IPProtocolTCP)
		t := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: ackn, SYN: syn, ACK: ack, FIN: fin, PSH: psh, Window: 65535}
		if err := t.SetNetworkLayerForChecksum(ip); err != nil {
			m.t.Fatal(err)
		}
		m.write(eth, ip, t, gopacket.Payload(data))
	}
	req, resp := "GET / HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"
	c, s := uint32(1000), uint32(5000)
	seg(true, true, false, false, false, c, 0, "")
	seg(false, true, true, false, false, s, c+1, "")
	seg(true, false, true, false, false, c+1, s+1, "")
	seg(true, false, true, false, true, c+1, s+1, req)
	seg(false, false, true, false, true, s+1, c+1+uint32(len(req)), resp)
	seg(true, false, true, true, false, c+1+uint32(len(req)), s+1+uint32(len(resp)), "")
	seg(false, false, true, true, false, s+1+uint32(len(resp)), c+2+uint32(len(req)), "")
	seg(true, false, true, false, false, c+2+uint32(len(req)), s+2+uint32(len(resp)), "")
}

// arp is a request and its reply.
func (m *mixed) arp(asker, target net.IP) {
	for i := range 2 {
		eth := &layers.Ethernet{SrcMAC: macA, DstMAC: layers.EthernetBroadcast, EthernetType: layers.EthernetTypeARP}
		a := &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4, HwAddressSize: 6, ProtAddressSize: 4,
			Operation: layers.ARPRequest, SourceHwAddress: macA, SourceProtAddress: asker.To4(), DstHwAddress: make([]byte, 6), DstProtAddress: target.To4()}
		if i == 1 {
			eth.SrcMAC, eth.DstMAC = macB, macA
			a.Operation, a.SourceHwAddress, a.SourceProtAddress, a.DstHwAddress, a.DstProtAddress = layers.ARPReply, macB, target.To4(), macA, asker.To4()
		}
		m.write(eth, a)
	}
}

// unreachable is an ICMP port unreachable quoting a UDP datagram from to
// to from.
func (m *mixed) unreachable(from, to net.IP) {
	eth, ip := ipv4(from, to, layers.IPProtocolICMPv4)
	_, inner := ipv4(to, from, layers.IPProtocolUDP)
	u := &layers.UDP{SrcPort: 33000, DstPort: 33434}
	if err := u.SetNetworkLayerForChecksum(inner); err != nil {
		m.t.Fatal(err)
	}
	quoted := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(quoted, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, inner, u, gopacket.Payload("probe")); err != nil {
		m.t.Fatal(err)
	}
	m.write(eth, ip, &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}, gopacket.Payload(quoted.Bytes()))
}
