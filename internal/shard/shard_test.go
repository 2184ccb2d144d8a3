package shard

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func tcpPacket(t *testing.T, src, dst string, sp, dp uint16, syn, ack, fin bool, seq uint32) []byte {
	t.Helper()
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	buf := gopacket.NewSerializeBuffer()
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), SYN: syn, ACK: ack, FIN: fin, Seq: seq, Window: 100}
	eth := &layers.Ethernet{SrcMAC: make([]byte, 6), DstMAC: make([]byte, 6)}
	var ip gopacket.SerializableLayer
	if s.Is4() {
		eth.EthernetType = layers.EthernetTypeIPv4
		v4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: s.AsSlice(), DstIP: d.AsSlice()}
		tcp.SetNetworkLayerForChecksum(v4)
		ip = v4
	} else {
		eth.EthernetType = layers.EthernetTypeIPv6
		v6 := &layers.IPv6{Version: 6, HopLimit: 64, NextHeader: layers.IPProtocolTCP, SrcIP: s.AsSlice(), DstIP: d.AsSlice()}
		tcp.SetNetworkLayerForChecksum(v6)
		ip = v6
	}
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, eth, ip, tcp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestParseTCPLinkTypes(t *testing.T) {
	eth := tcpPacket(t, "10.0.0.1", "10.0.0.2", 1234, 80, true, false, false, 7)
	ip := eth[14:]
	vlan := append(append(append([]byte{}, eth[:12]...), 0x81, 0x00, 0, 5), eth[12:]...)
	null := append([]byte{2, 0, 0, 0}, ip...)
	sll := append(make([]byte, 14), 0x08, 0x00)
	sll = append(sll, ip...)
	sll2 := append([]byte{0x08, 0x00}, make([]byte, 18)...)
	sll2 = append(sll2, ip...)
	cases := []struct {
		name string
		link layers.LinkType
		b    []byte
	}{
		{"ethernet", layers.LinkTypeEthernet, eth}, {"vlan", layers.LinkTypeEthernet, vlan}, {"null", layers.LinkTypeNull, null},
		{"raw", layers.LinkTypeRaw, ip}, {"sll", layers.LinkTypeLinuxSLL, sll}, {"sll2", layers.LinkType(276), sll2},
	}
	for _, c := range cases {
		p, err := parseTCP(c.link, c.b)
		if err != nil || !p.ok || p.src.String() != "10.0.0.1:1234" || p.dst.String() != "10.0.0.2:80" || p.flags&0x02 == 0 || p.seq != 7 {
			t.Errorf("%s: %+v %v", c.name, p, err)
		}
	}
	v6 := tcpPacket(t, "2001:db8::1", "2001:db8::2", 5, 443, false, true, false, 1)
	if p, err := parseTCP(layers.LinkTypeEthernet, v6); err != nil || p.dst.String() != "[2001:db8::2]:443" {
		t.Errorf("ipv6: %+v %v", p, err)
	}
	// A fragment of a TCP segment cannot be placed.
	frag := append([]byte{}, eth...)
	binary.BigEndian.PutUint16(frag[14+6:], 0x2000)
	if _, err := parseTCP(layers.LinkTypeEthernet, frag); !errors.Is(err, ErrUnsupported) {
		t.Errorf("fragment: %v", err)
	}
	if _, err := parseTCP(layers.LinkType(239), eth); !errors.Is(err, ErrUnsupported) {
		t.Errorf("NFLOG: %v", err)
	}
	if p, err := parseTCP(layers.LinkTypeEthernet, eth[:20]); err != nil || p.ok {
		t.Errorf("short packet: %+v %v", p, err)
	}
}

// TestSplitNumbering: both directions stay together, frames map back, and
// streams are numbered by first appearance, a SYN with a new sequence
// number on a closed connection's ports starting a new one.
func TestSplitNumbering(t *testing.T) {
	t.Parallel()
	capture := writePcap(t, [][]byte{
		tcpPacket(t, "10.0.0.1", "10.0.0.9", 1000, 80, true, false, false, 100), // 1: A SYN
		tcpPacket(t, "10.0.0.2", "10.0.0.9", 2000, 80, true, false, false, 200), // 2: B SYN
		tcpPacket(t, "10.0.0.9", "10.0.0.1", 80, 1000, true, true, false, 500),  // 3: A SYN/ACK
		tcpPacket(t, "10.0.0.1", "10.0.0.9", 1000, 80, false, true, true, 101),  // 4: A FIN
		tcpPacket(t, "10.0.0.1", "10.0.0.9", 1000, 80, true, false, false, 900), // 5: A reused: new stream
		tcpPacket(t, "10.0.0.2", "10.0.0.9", 2000, 80, true, false, false, 200), // 6: B SYN again (retransmitted)
	})
	path := filepath.Join(t.TempDir(), "x.pcap")
	os.WriteFile(path, capture, 0o644)
	outs := map[int]*Out{0: {W: &bytes.Buffer{}}}
	if _, err := Split(context.Background(), path, 1, outs, nil); err != nil {
		t.Fatal(err)
	}
	o := outs[0]
	for i := int64(1); i <= 6; i++ {
		if f, ok := o.Frame(i); !ok || f != i {
			t.Errorf("frame %d → %d", i, f)
		}
	}
	want := []int64{0, 1, 2}
	for j, g := range want {
		fl, ok := o.Flow(int64(j))
		if !ok || fl.Global != g {
			t.Errorf("stream %d: %+v", j, fl)
		}
	}
	if _, ok := o.Flow(3); ok {
		t.Error("a retransmitted SYN made a new stream")
	}
	// Two shards: each connection wholly in one.
	outs = map[int]*Out{0: {W: &bytes.Buffer{}}, 1: {W: &bytes.Buffer{}}}
	Split(context.Background(), path, 2, outs, nil)
	n := 0
	for _, o := range outs {
		n += len(o.frames)
		// Connection A's packets (1, 3, 4, 5) are all here or none.
		a := 0
		for _, f := range o.frames {
			if f == 1 || f == 3 || f == 4 || f == 5 {
				a++
			}
		}
		if a != 0 && a != 4 {
			t.Errorf("connection A split across shards: %v", o.frames)
		}
	}
	if n != 6 {
		t.Errorf("%d packets in the shards, want 6", n)
	}
	// Truncated file: the packets before the cut, and a flag.
	os.WriteFile(path, capture[:len(capture)-10], 0o644)
	outs = map[int]*Out{0: {W: &bytes.Buffer{}}}
	trunc, err := Split(context.Background(), path, 1, outs, nil)
	if err != nil || !trunc || len(outs[0].frames) != 5 {
		t.Errorf("truncated: %v %v %d", trunc, err, len(outs[0].frames))
	}
}

// writePcap returns an Ethernet pcap of the packets, one second apart.
func writePcap(t *testing.T, pkts [][]byte) []byte {
	var buf bytes.Buffer
	w := pcapgo.NewWriterNanos(&buf)
	w.WriteFileHeader(65535, layers.LinkTypeEthernet)
	for i, b := range pkts {
		w.WritePacket(gopacket.CaptureInfo{Timestamp: time.Unix(int64(i), 0), CaptureLength: len(b), Length: len(b)}, b)
	}
	return buf.Bytes()
}

// FuzzParseTCP: any bytes under any supported link type are classified
// without panicking, and what is called TCP has addresses and ports; the
// rest is placed by address pair (other.go) without panicking either,
// with two valid addresses in order.
func FuzzParseTCP(f *testing.F) {
	f.Add(uint16(1), []byte{})
	f.Add(uint16(0), []byte{2, 0, 0, 0, 0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 0, 80, 1, 0})
	f.Add(uint16(101), []byte{0x60, 0, 0, 0, 0, 20, 0, 64})
	f.Fuzz(func(t *testing.T, link uint16, b []byte) {
		p, err := parseTCP(layers.LinkType(link), b)
		if err == nil && p.ok && (!p.src.IsValid() || !p.dst.IsValid()) {
			t.Fatalf("TCP without addresses: %+v", p)
		}
		if ip, ok := IPPacket(layers.LinkType(link), b); ok && err == nil && !p.ok {
			if k, ok := otherPair(ip); ok && (!k.a.IsValid() || !k.b.IsValid() || k.b.Less(k.a)) {
				t.Fatalf("pair %+v", k)
			}
		}
	})
}

// BenchmarkSplit reads a generated capture as one pass of a 6-shard split
// whose pass holds shards 0 and 1: every packet is read and classified,
// a third of them written. It is the Go side's cost per pass.
func BenchmarkSplit(b *testing.B) {
	cfg := synth.Default()
	cfg.Conns, cfg.PerConn, cfg.BodyMax = 2000, 20, 3000
	path := filepath.Join(b.TempDir(), "bench.pcapng")
	f, err := os.Create(path)
	if err != nil {
		b.Fatal(err)
	}
	if _, err := synth.Generate(cfg, f); err != nil {
		b.Fatal(err)
	}
	f.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ResetTimer()
	var pkts int
	for i := 0; i < b.N; i++ {
		outs := map[int]*Out{0: {W: io.Discard}, 1: {W: io.Discard}}
		if _, err := Split(context.Background(), path, 6, outs, nil); err != nil {
			b.Fatal(err)
		}
		pkts = len(outs[0].frames) + len(outs[1].frames)
	}
	b.ReportMetric(float64(pkts), "written-packets")
}

// TestSplitMixedLinkTypes: a pcapng whose interfaces have different link
// types cannot be written as one pcap per shard; Split says so with
// ErrUnsupported (the caller falls back to one tshark) instead of failing.
func TestSplitMixedLinkTypes(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriterInterface(&buf, pcapgo.NgInterface{LinkType: layers.LinkTypeEthernet, SnapLength: 65535}, pcapgo.DefaultNgWriterOptions)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := w.AddInterface(pcapgo.NgInterface{LinkType: layers.LinkTypeRaw, SnapLength: 65535})
	if err != nil {
		t.Fatal(err)
	}
	eth := tcpPacket(t, "10.0.0.1", "10.0.0.9", 1000, 80, true, false, false, 100)
	ci := gopacket.CaptureInfo{Timestamp: time.Unix(1, 0), CaptureLength: len(eth), Length: len(eth)}
	w.WritePacket(ci, eth)
	ci.InterfaceIndex, ci.CaptureLength, ci.Length = raw, len(eth)-14, len(eth)-14
	w.WritePacket(ci, eth[14:])
	w.Flush()
	path := filepath.Join(t.TempDir(), "mixed.pcapng")
	os.WriteFile(path, buf.Bytes(), 0o644)
	outs := map[int]*Out{0: {W: io.Discard}, 1: {W: io.Discard}}
	if _, err := Split(context.Background(), path, 2, outs, nil); !errors.Is(err, ErrUnsupported) {
		t.Errorf("mixed link types: %v, want ErrUnsupported", err)
	}
}

// TestStreamNumberingMatchesTshark: on crafted connection histories (port
// reuse with and without a close, a capture starting mid-connection or at
// the SYN/ACK, SYN retransmissions with the same or another ISN), the
// splitter starts a new connection exactly where tshark starts a new
// tcp.stream. A difference is caught at run time (the shard falls back to
// one tshark) but costs the parallelism; this keeps the model honest.
func TestStreamNumberingMatchesTshark(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	cases := map[string][]history{
		"reuse after FIN":          {{true, "S", 100, 0}, {false, "SA", 500, 101}, {true, "FA", 101, 501}, {true, "S", 900, 0}},
		"reuse after RST":          {{true, "S", 100, 0}, {false, "R", 0, 101}, {true, "S", 700, 0}},
		"reuse without a close":    {{true, "S", 100, 0}, {false, "SA", 500, 101}, {true, "A", 101, 501}, {true, "S", 9000, 0}, {false, "SA", 7000, 9001}},
		"SYN again, same ISN":      {{true, "S", 100, 0}, {false, "SA", 500, 101}, {true, "FA", 101, 501}, {true, "S", 100, 0}},
		"SYN again, other ISN":     {{true, "S", 100, 0}, {true, "S", 200, 0}, {false, "SA", 500, 201}},
		"mid-connection, then SYN": {{true, "A", 5000, 100}, {false, "A", 100, 5000}, {true, "S", 9000, 0}},
		"SYN/ACK first, then SYN":  {{false, "SA", 500, 101}, {true, "S", 300, 0}},
		"SYN/ACK first, same ISN":  {{false, "SA", 500, 101}, {true, "S", 100, 0}, {true, "A", 101, 501}},
		"plain connection":         {{true, "S", 100, 0}, {false, "SA", 500, 101}, {true, "A", 101, 501}, {true, "FA", 101, 501}, {false, "FA", 501, 102}},
	}
	for name, pkts := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			numberLikeTshark(t, bin, pkts)
		})
	}
}

// history is one packet of a crafted connection history.
type history struct {
	fromClient bool
	flags      string // S, SA, A, FA, R
	seq, ack   uint32
}

// numberLikeTshark writes pkts as a capture and compares the splitter's
// stream of every packet with tshark's tcp.stream.
func numberLikeTshark(t *testing.T, bin string, pkts []history) {
	var frames [][]byte
	for _, x := range pkts {
		src, dst, sp, dp := "10.0.0.1", "10.0.0.9", uint16(1000), uint16(80)
		if !x.fromClient {
			src, dst, sp, dp = dst, src, dp, sp
		}
		frames = append(frames, tcpFlags(t, src, dst, sp, dp, x.flags, x.seq, x.ack))
	}
	path := filepath.Join(t.TempDir(), "case.pcap")
	os.WriteFile(path, writePcap(t, frames), 0o644)
	out, err := exec.Command(bin, "-n", "-r", path, "-T", "fields", "-e", "tcp.stream").Output()
	if err != nil {
		t.Fatal(err)
	}
	var want []int64
	for _, f := range strings.Fields(string(out)) {
		n, _ := strconv.ParseInt(f, 10, 64)
		want = append(want, n)
	}
	o := &Out{W: io.Discard, traceStreams: true}
	if _, err := Split(context.Background(), path, 1, map[int]*Out{0: o}, nil); err != nil {
		t.Fatal(err)
	}
	if got := o.streams; !slices.Equal(got, want) {
		t.Errorf("splitter streams %v, tshark %v", got, want)
	}
}

// tcpFlags builds an Ethernet/IPv4/TCP packet with flags given as letters.
func tcpFlags(t *testing.T, src, dst string, sp, dp uint16, flags string, seq, ack uint32) []byte {
	t.Helper()
	s, d := netip.MustParseAddr(src), netip.MustParseAddr(dst)
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sp), DstPort: layers.TCPPort(dp), Seq: seq, Ack: ack, Window: 100,
		SYN: strings.Contains(flags, "S"), ACK: strings.Contains(flags, "A"), FIN: strings.Contains(flags, "F"), RST: strings.Contains(flags, "R")}
	v4 := &layers.IPv4{Version: 4, IHL: 5, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: s.AsSlice(), DstIP: d.AsSlice()}
	tcp.SetNetworkLayerForChecksum(v4)
	eth := &layers.Ethernet{SrcMAC: make([]byte, 6), DstMAC: make([]byte, 6), EthernetType: layers.EthernetTypeIPv4}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}, eth, v4, tcp); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
