package tcpconn

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestJoinedEqualsFull: tshark's JoinFields joined to the splitter's
// headers give, byte for byte, the result of tshark's full rows (or the
// same error), with --gaps on so that frame numbers, IP IDs and relative
// sequence numbers are compared too: on the synthetic captures and on
// every shared TCP, TLS and odd capture (VLAN, QinQ, loopback, Linux
// cooked, IPv6, tunnels, truncated files, no SYN, port reuse). Captures
// the headers cannot serve (tunnels: two TCP headers in one row) must
// have gone back to the full rows, and the others must not have: the
// joined path is what was compared.
func TestJoinedEqualsFull(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	root := testutil.Root()
	files := []string{
		filepath.Join(root, "testdata", "http", "synth-loss-reorder.pcapng"),
		filepath.Join(root, "testdata", "http", "pipelined-v6-port6000.pcapng"),
		filepath.Join(root, "testdata", "http", "synth-mirror-gre.pcap"),
		filepath.Join(root, "testdata", "http", "synth-reset-end.pcapng"),
	}
	tcpdata, _ := filepath.Glob(filepath.Join(root, "testdata", "tcp", "*.pcap*"))
	files = append(files, tcpdata...)
	for _, dir := range []string{"tcp", "tls", "odd"} {
		shared, _ := filepath.Glob(filepath.Join(root, "..", "shared", "captures", dir, "*.pcap*"))
		if len(shared) == 0 {
			t.Logf("../shared/captures/%s absent: fewer captures", dir)
		}
		files = append(files, shared...)
	}
	for _, f := range files {
		if strings.HasSuffix(f, ".json") {
			continue
		}
		t.Run(filepath.Base(f), func(t *testing.T) {
			t.Parallel()
			full, ferr := Run(context.Background(), Options{File: f, Gaps: true, Jobs: 1, full: true})
			back := false
			joined, jerr := Run(context.Background(), Options{File: f, Gaps: true, Jobs: 1, onFull: func() { back = true }})
			if (ferr == nil) != (jerr == nil) || (ferr != nil && ferr.Error() != jerr.Error()) {
				t.Fatalf("full rows: %v; joined: %v", ferr, jerr)
			}
			if errors.Is(ferr, ErrNoTCP) {
				return
			}
			a, _ := json.MarshalIndent(full, "", " ")
			b, _ := json.MarshalIndent(joined, "", " ")
			if string(a) != string(b) {
				t.Errorf("joined rows differ from the full rows:\n%s", testutil.Diff(string(a), string(b)))
			}
			if want := wantFullRows[filepath.Base(f)]; back != want {
				t.Errorf("went back to the full rows: %v, want %v", back, want)
			}
		})
	}
}

// wantFullRows are the captures the joined rows cannot serve.
var wantFullRows = map[string]bool{
	"synth-mirror-gre.pcap":             true,
	"zeek_vxlan-encapsulated-http.pcap": true,
}

// TestJoinedSplitKeepsFrames: split in shards, the joined path gives
// the whole file's frame numbers (the gaps list them) and connections,
// as one shard does.
func TestJoinedSplitKeepsFrames(t *testing.T) {
	testutil.Tshark(t)
	old := minShardPackets
	minShardPackets = 0
	defer func() { minShardPackets = old }()
	f := testutil.Testdata("http", "synth-loss-reorder.pcapng")
	if _, err := os.Stat(f); err != nil {
		t.Fatal(err)
	}
	back, before := false, splits.Load()
	one := analyse(t, Options{File: f, Gaps: true, Jobs: 1, full: true})
	split := analyse(t, Options{File: f, Gaps: true, Jobs: 2, onFull: func() { back = true }})
	if back || splits.Load() != before+1 {
		t.Errorf("went back to the full rows (%v) or not split", back)
	}
	a, _ := json.Marshal(one)
	b, _ := json.Marshal(split)
	if string(a) != string(b) {
		t.Errorf("2 joined shards differ from one tshark's full rows:\n%s", testutil.Diff(string(a), string(b)))
	}
}

// TestJoinedSkipsQuotedTCP: an ICMP error quoting a TCP header is a row
// with TCP columns for tshark but no plain TCP for the splitter; the
// joined path leaves it out as DisplayFilter does, without going back to
// the full rows, and measures the connection as the full rows do.
func TestJoinedSkipsQuotedTCP(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	f := filepath.Join(t.TempDir(), "quoted.pcap")
	writeQuotedTCP(t, f, false)
	full := analyse(t, Options{File: f, Jobs: 1, full: true})
	back := false
	joined := analyse(t, Options{File: f, Jobs: 1, onFull: func() { back = true }})
	a, _ := json.Marshal(full)
	b, _ := json.Marshal(joined)
	if back || string(a) != string(b) || len(full.Connections) != 1 || full.Connections[0].PacketsC2S != 3 {
		t.Errorf("went back to the full rows: %v\njoined %s\nfull   %s", back, b, a)
	}
}

// TestJoinedErrorAsFull: a row the joined path cannot read (a TCP header
// cut by the snap length: tshark gives its ports but no tcp.stream) fails
// the run with the words the full rows always had.
func TestJoinedErrorAsFull(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	f := filepath.Join(t.TempDir(), "cut.pcap")
	writeQuotedTCP(t, f, true)
	_, ferr := Run(context.Background(), Options{File: f, Jobs: 1, full: true})
	back := false
	_, jerr := Run(context.Background(), Options{File: f, Jobs: 1, onFull: func() { back = true }})
	if ferr == nil || jerr == nil || ferr.Error() != jerr.Error() || !back {
		t.Errorf("full rows: %v; joined: %v (went back to the full rows: %v)", ferr, jerr, back)
	}
}

// writeQuotedTCP writes a handshake, a data segment and, between them, a
// port unreachable from the client quoting the server's SYN/ACK; cut ends
// the data segment's capture inside its TCP header.
func writeQuotedTCP(t *testing.T, path string, cut bool) {
	t.Helper()
	cli, srv := net.IP{10, 0, 0, 1}, net.IP{10, 0, 0, 2}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
	opts := gopacket.SerializeOptions{ComputeChecksums: true, FixLengths: true}
	seg := func(src, dst net.IP, sp, dp layers.TCPPort, seq, ack uint32, syn, isAck bool, payload []byte) []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
		tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: seq, Ack: ack, SYN: syn, ACK: isAck, Window: 65535}
		tcp.SetNetworkLayerForChecksum(ip)
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, opts, ip, tcp, gopacket.Payload(payload)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	frame := func(ipPacket []byte) []byte {
		buf := gopacket.NewSerializeBuffer()
		if err := gopacket.SerializeLayers(buf, opts, eth, gopacket.Payload(ipPacket)); err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	synAck := seg(srv, cli, 80, 40000, 5000, 1001, true, true, nil)
	icmpIP := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolICMPv4, SrcIP: cli, DstIP: srv}
	icmp := &layers.ICMPv4{TypeCode: layers.CreateICMPv4TypeCode(layers.ICMPv4TypeDestinationUnreachable, layers.ICMPv4CodePort)}
	ib := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(ib, opts, icmpIP, icmp, gopacket.Payload(synAck[:28])); err != nil {
		t.Fatal(err)
	}
	pkts := [][]byte{
		seg(cli, srv, 40000, 80, 1000, 0, true, false, nil), synAck, ib.Bytes(),
		seg(cli, srv, 40000, 80, 1001, 5001, false, true, nil),
		seg(cli, srv, 40000, 80, 1001, 5001, false, true, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")),
	}
	out, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	w := pcapgo.NewWriter(out)
	if err := w.WriteFileHeader(65535, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	for i, p := range pkts {
		b := frame(p)
		ci := gopacket.CaptureInfo{Timestamp: time.Unix(1700000000, int64(i)*1e6), CaptureLength: len(b), Length: len(b)}
		if cut && i == len(pkts)-1 {
			b = b[:14+20+10]
			ci.CaptureLength = len(b)
		}
		if err := w.WritePacket(ci, b); err != nil {
			t.Fatal(err)
		}
	}
}
