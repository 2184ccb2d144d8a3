package shard

import (
	"net"
	"os/exec"
	"strconv"
	"strings"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// TestOtherPair: traffic that is not plain TCP is placed by its address
// pair, the same both ways, unless it may set up or carry dissection
// elsewhere (tunnels, ICMP errors) or is not IP, which stay in shard 0.
func TestOtherPair(t *testing.T) {
	a, b := net.IPv4(10, 0, 0, 1), net.IPv4(10, 0, 0, 2)
	a6, b6 := net.ParseIP("2001:db8::1"), net.ParseIP("2001:db8::2")
	udp := func(src, dst net.IP, sport, dport uint16) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: src, DstIP: dst},
			&layers.UDP{SrcPort: layers.UDPPort(sport), DstPort: layers.UDPPort(dport)}, gopacket.Payload("x")}
	}
	icmp := func(src, dst net.IP, typ uint8) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: src, DstIP: dst},
			&layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(typ, 0)}, gopacket.Payload("x")}
	}
	icmp6 := func(src, dst net.IP, typ uint8) []gopacket.SerializableLayer {
		return []gopacket.SerializableLayer{&layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolICMPv6, SrcIP: src, DstIP: dst},
			&layers.ICMPv6{TypeCode: layers.CreateICMPv6TypeCode(typ, 0)}, gopacket.Payload("xxxx")}
	}
	gre := []gopacket.SerializableLayer{&layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolGRE, SrcIP: a, DstIP: b}, gopacket.Payload("xxxxxxxx")}
	cases := []struct {
		name   string
		layers []gopacket.SerializableLayer
		spread bool
	}{
		{"dns", udp(a, b, 5353, 53), true},
		{"dns answer", udp(b, a, 53, 5353), true},
		{"echo request", icmp(a, b, 8), true},
		{"port unreachable", icmp(b, a, 3), false},
		{"time exceeded", icmp(b, a, 11), false},
		{"echo v6", icmp6(a6, b6, 128), true},
		{"unreachable v6", icmp6(b6, a6, 1), false},
		{"vxlan", udp(a, b, 40000, 4789), false},
		{"vxlan-gpe", udp(a, b, 40000, 4790), false},
		{"sflow", udp(a, b, 6343, 40000), false},
		{"gre", gre, false},
	}
	keys := map[pairKey]bool{}
	for _, c := range cases {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, c.layers...); err != nil {
			t.Fatal(err)
		}
		ip, ok := IPPacket(layers.LinkTypeRaw, buf.Bytes())
		if !ok {
			t.Fatalf("%s: not IP", c.name)
		}
		k, ok := otherPair(ip)
		if ok != c.spread {
			t.Errorf("%s: spread %v, want %v", c.name, ok, c.spread)
		}
		if ok {
			keys[k] = true
		}
	}
	if len(keys) != 2 {
		t.Errorf("pairs %v, want one for IPv4 and one for IPv6", keys)
	}
	arp := []byte{0, 1, 8, 0, 6, 4, 0, 1}
	eth := append([]byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x06}, arp...)
	if _, ok := IPPacket(layers.LinkTypeEthernet, eth); ok {
		t.Error("ARP read as IP")
	}
	// An ethertype that says IPv4 over an IPv6 header is not IP to tshark.
	v6 := append([]byte{0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 1, 0x08, 0x00, 0x60}, make([]byte, 39)...)
	if _, ok := IPPacket(layers.LinkTypeEthernet, v6); ok {
		t.Error("IPv6 under the IPv4 ethertype read as IP")
	}
}

// TestOtherFragments: every fragment of one IPv4 datagram is placed
// alike, so that one tshark reassembles it. The first fragment of a
// VXLAN datagram or an ICMP error shows a header that keeps it in shard
// 0, the later ones show none; they went by address pair.
func TestOtherFragments(t *testing.T) {
	a, b := net.IPv4(10, 0, 0, 1), net.IPv4(10, 0, 0, 2)
	frag := func(proto layers.IPProtocol, flags layers.IPv4Flag, off uint16, payload []byte) []byte {
		buf := gopacket.NewSerializeBuffer()
		ip := &layers.IPv4{Version: 4, TTL: 64, Id: 7, Flags: flags, FragOffset: off, Protocol: proto, SrcIP: a, DstIP: b}
		if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true}, ip, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	vxlan := append([]byte{0x9c, 0x40, 0x12, 0xb5, 0, 64, 0, 0}, make([]byte, 16)...) // UDP 40000 -> 4789
	unreach := append([]byte{3, 3, 0, 0, 0, 0, 0, 0}, make([]byte, 16)...)
	for _, c := range []struct {
		name  string
		proto layers.IPProtocol
		first []byte
	}{{"vxlan", layers.IPProtocolUDP, vxlan}, {"unreachable", layers.IPProtocolICMPv4, unreach}} {
		_, ok1 := otherPair(frag(c.proto, layers.IPv4MoreFragments, 0, c.first))
		_, ok2 := otherPair(frag(c.proto, 0, 3, make([]byte, 24)))
		if ok1 || ok2 {
			t.Errorf("%s: first fragment spread %v, later fragment %v, want both in shard 0", c.name, ok1, ok2)
		}
	}
}

// TestTunnelPortsMatchTshark checks tunnelPort against the UDP ports the
// installed tshark decodes by default as a carrier of IP or Ethernet, so
// that a tshark that adds one (or a list that lost one) is caught: a
// tunnelled TCP packet spread by its outer addresses would put a
// connection's inner packets in two shards.
func TestTunnelPortsMatchTshark(t *testing.T) {
	out, err := exec.Command("tshark", "-G", "decodes").Output()
	if err != nil {
		t.Skipf("tshark -G decodes: %v", err)
	}
	carriers := map[string]bool{"l2tp": true, "gtp": true, "teredo": true, "capwap.data": true, "vxlan": true,
		"vxlan_gpe": true, "geneve": true, "lisp-data": true, "gre": true, "mpls": true, "tzsp": true, "sflow": true}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Fields(line)
		if len(f) != 3 || f[0] != "udp.port" || !carriers[f[2]] {
			continue
		}
		port, err := strconv.Atoi(f[1])
		if err != nil {
			t.Fatalf("odd line %q", line)
		}
		if f[2] == "gtp" && port == 2123 { // GTP-C: signalling, no user packets
			continue
		}
		if !tunnelPort[uint16(port)] {
			t.Errorf("tshark decodes udp.port %d as %s, which carries IP, but tunnelPort lacks it", port, f[2])
		}
	}
}
