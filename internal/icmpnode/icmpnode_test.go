package icmpnode

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"math"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func runOne(t *testing.T, file string, node string) *Node {
	t.Helper()
	testutil.Tshark(t)
	opt := Options{Files: []string{file}}
	if node != "" {
		opt.Nodes = []netip.Addr{netip.MustParseAddr(node)}
	}
	res, err := Run(context.Background(), opt)
	if err != nil {
		t.Fatal(err)
	}
	return res[0]
}

// TestSynthetic checks every metric against the definitions applied to
// the generated packets, IPv4 and IPv6, with loss and duplicate replies.
func TestSynthetic(t *testing.T) {
	t.Parallel()
	for _, node := range []string{"192.168.100.1", "fd00::1"} {
		t.Run(node, func(t *testing.T) {
			t.Parallel()
			synthetic(t, node)
		})
	}
}

// synthetic is TestSynthetic for one node address.
func synthetic(t *testing.T, node string) {
	cfg := synth.ICMPConfig{Seed: 5, Node: netip.MustParseAddr(node), PerPeer: 20, Payload: 56, Loss: 0.1, Dup: 0.05,
		Start: time.Unix(1700000000, 0)}
	for i, h := range []int{0, 1, 3} {
		var peer netip.Addr
		if cfg.Node.Is4() {
			peer = netip.AddrFrom4([4]byte{192, 168, byte(100 + h), byte(2 + i)})
		} else {
			peer = netip.MustParseAddr("fd00::" + strconv.Itoa(10+i))
		}
		cfg.Peers, cfg.Hops = append(cfg.Peers, peer), append(cfg.Hops, h)
	}
	path := filepath.Join(t.TempDir(), "node.pcap")
	f, _ := os.Create(path)
	tr, err := synth.GenerateICMP(cfg, f)
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	n := runOne(t, path, "")
	if n.Addr != cfg.Node {
		t.Fatalf("detected %v, want %v", n.Addr, cfg.Node)
	}
	ints := [][2]int64{
		{int64(n.RequestsSent), int64(tr.RequestsSent)}, {int64(n.RequestsReceived), int64(tr.RequestsReceived)},
		{int64(n.RepliesSent), int64(tr.RepliesSent)}, {int64(n.RepliesReceived), int64(tr.RepliesReceived)},
		{n.RequestBytesSent, tr.RequestBytesSent}, {n.RequestBytesRecv, tr.RequestBytesRecv},
		{n.RequestDataSent, tr.RequestDataSent}, {n.RequestDataRecv, tr.RequestDataRecv},
		{int64(n.Answered), int64(tr.Answered)}, {int64(n.DuplicateReplies), int64(tr.Duplicates)},
		{int64(n.Lost), int64(tr.RequestsSent - tr.Answered)},
	}
	for i, c := range ints {
		if c[0] != c[1] {
			t.Errorf("%s metric %d: %d, want %d", node, i, c[0], c[1])
		}
	}
	rttSum := float64(tr.RTTSumNS) / 1e9
	floats := [][2]float64{
		{n.AvgRTTms, rttSum / float64(tr.Answered) * 1e3},
		{n.ThroughputKBps, float64(tr.AnsweredBytes) / rttSum / 1e3},
		{n.GoodputKBps, float64(tr.AnsweredData) / rttSum / 1e3},
		{n.AvgReplyDelayUs, float64(tr.DelaySumNS) / float64(tr.RequestsReceived) / 1e3},
		{n.AvgHops, float64(tr.HopsSum) / float64(tr.Answered)},
	}
	for i, c := range floats {
		if !near(c[0], c[1]) {
			t.Errorf("%s metric %d: %v, want %v", node, 9+i, c[0], c[1])
		}
	}
	if len(n.Peers) != 3 || n.Peers[0].RequestsSent != 20 {
		t.Errorf("peers %+v", n.Peers)
	}
}

// TestExampleByHand: one request 192.168.200.1 → 192.168.100.1 (74-byte
// frame, 32 bytes of data, TTL 128), its reply 3.678 ms later with TTL
// 126: two routers, so three networks.
func TestExampleByHand(t *testing.T) {
	t.Parallel()
	n := runOne(t, testutil.Shared(t, "icmp/nssa220/example.pcap"), "")
	if n.Addr.String() != "192.168.200.1" || n.RequestsSent != 1 || n.RepliesReceived != 1 || n.RequestsReceived != 0 ||
		n.RequestBytesSent != 74 || n.RequestDataSent != 32 {
		t.Fatalf("%+v", n)
	}
	rtt := 1540909115.662398 - 1540909115.658720
	if !near(n.AvgRTTms, 3.678) || math.Abs(n.ThroughputKBps-74/rtt/1000) > 1e-6 || math.Abs(n.GoodputKBps-32/rtt/1000) > 1e-6 || n.AvgHops != 3 {
		t.Errorf("rtt %v throughput %v goodput %v hops %v", n.AvgRTTms, n.ThroughputKBps, n.GoodputKBps, n.AvgHops)
	}
}

// outerEcho is one ICMP packet as tshark prints its outer fields.
type outerEcho struct {
	t                 float64 // seconds since 1540000000, from integer nanoseconds
	size, ttl, data   float64
	src, dst, typ, id string // id: identifier/sequence
}

// outerEchoes reads the ICMP packets of file with tshark's outer fields
// (occurrence=f), parsed with plain code: independent of the package's.
func outerEchoes(t *testing.T, file string) []outerEcho {
	out, err := exec.Command("tshark", "-n", "-r", file, "-Y", "icmp", "-T", "fields", "-E", "occurrence=f",
		"-e", "frame.time_epoch", "-e", "frame.len", "-e", "ip.src", "-e", "ip.dst", "-e", "ip.ttl",
		"-e", "icmp.type", "-e", "icmp.ident", "-e", "icmp.seq", "-e", "data.len").Output()
	if err != nil {
		t.Fatal(err)
	}
	var es []outerEcho
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		f := strings.Split(sc.Text(), "\t")
		// Seconds relative to the epoch second would lose precision in
		// a float64 of the full epoch time; keep integer nanoseconds.
		whole, frac, _ := strings.Cut(f[0], ".")
		sec, _ := strconv.ParseInt(whole, 10, 64)
		ns, _ := strconv.ParseInt((frac + "000000000")[:9], 10, 64)
		e := outerEcho{t: float64(sec-1540000000) + float64(ns)/1e9, src: f[2], dst: f[3], typ: f[5], id: f[6] + "/" + f[7]}
		e.size, _ = strconv.ParseFloat(f[1], 64)
		e.ttl, _ = strconv.ParseFloat(f[4], 64)
		e.data, _ = strconv.ParseFloat(f[8], 64)
		es = append(es, e)
	}
	return es
}

// firstPrinciples computes the 13 metrics for node from outerEchoes with
// plain loops: an implementation independent of the package's.
func firstPrinciples(t *testing.T, file, node string) [13]float64 {
	type req struct {
		t          float64
		size, data float64
	}
	sent := map[string]req{}
	recv := map[string]float64{}
	var m [13]float64
	var rttSum, bytesAns, dataAns, hops, delaySum, answered, replied float64
	for _, e := range outerEchoes(t, file) {
		switch {
		case e.typ == "8" && e.src == node:
			m[0]++
			m[4] += e.size
			m[5] += e.data
			sent[e.dst+"/"+e.id] = req{e.t, e.size, e.data}
		case e.typ == "8" && e.dst == node:
			m[1]++
			m[6] += e.size
			m[7] += e.data
			recv[e.src+"/"+e.id] = e.t
		case e.typ == "0" && e.src == node:
			m[2]++
			if at, ok := recv[e.dst+"/"+e.id]; ok {
				delaySum += e.t - at
				replied++
			}
		case e.typ == "0" && e.dst == node:
			m[3]++
			if r, ok := sent[e.src+"/"+e.id]; ok {
				rttSum += e.t - r.t
				bytesAns += r.size
				dataAns += r.data
				answered++
				init := 255.0
				for _, i := range []float64{255, 128, 64, 32} {
					if e.ttl <= i {
						init = i
					}
				}
				hops += init - e.ttl + 1
			}
		}
	}
	m[8] = rttSum / answered * 1000
	m[9] = bytesAns / rttSum / 1000
	m[10] = dataAns / rttSum / 1000
	m[11] = delaySum / replied * 1e6
	m[12] = hops / answered
	return m
}

func TestNSSANodesFromFirstPrinciples(t *testing.T) {
	t.Parallel()
	addrs := []string{"192.168.100.1", "192.168.100.2", "192.168.200.1", "192.168.200.2"}
	for i, a := range addrs {
		t.Run(a, func(t *testing.T) {
			t.Parallel()
			nssaNode(t, i, a)
		})
	}
}

// nssaNode checks the assignment node Node<i+1>.pcap, whose address is a.
func nssaNode(t *testing.T, i int, a string) {
	file := testutil.Shared(t, "icmp/nssa220/Node"+strconv.Itoa(i+1)+".pcap")
	n := runOne(t, file, "")
	if n.Addr.String() != a || n.Name != "Node "+strconv.Itoa(i+1) {
		t.Errorf("Node%d detected as %s %q", i+1, n.Addr, n.Name)
	}
	want := firstPrinciples(t, file, a)
	got := [13]float64{float64(n.RequestsSent), float64(n.RequestsReceived), float64(n.RepliesSent), float64(n.RepliesReceived),
		float64(n.RequestBytesSent), float64(n.RequestDataSent), float64(n.RequestBytesRecv), float64(n.RequestDataRecv),
		n.AvgRTTms, n.ThroughputKBps, n.GoodputKBps, n.AvgReplyDelayUs, n.AvgHops}
	for k := range got {
		if math.Abs(got[k]-want[k]) > 1e-6*math.Max(1, math.Abs(want[k])) {
			t.Errorf("Node%d metric %d: %v, first principles %v", i+1, k+1, got[k], want[k])
		}
	}
	if n.Lost != 0 || n.ErrorsIgnored != 0 {
		t.Errorf("Node%d: lost %d, errors %d", i+1, n.Lost, n.ErrorsIgnored)
	}
}

func TestOuterTypeOnlyAndOddLinks(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, file, node string
		ok               func(n *Node) bool
	}{
		{"traceroute", "icmp/misc/sanders_icmp_traceroute.pcapng", "192.168.100.138", func(n *Node) bool {
			return n.RequestsSent == 27 && n.RepliesReceived == 3 && n.ErrorsIgnored == 24 && n.Lost == 24
		}},
		{"icmpv6", "icmp/misc/zeek_icmp6-ping.pcap", "", func(n *Node) bool {
			return n.RequestsSent == 4 && n.Answered == 4 && n.AvgHops == 18 // hop limit 47 from 64
		}},
		{"vlan", "odd/zeek_icmp_dot1q.pcap", "192.168.123.2", func(n *Node) bool {
			return n.RequestsSent == 5 && n.Answered == 4 && n.Lost == 1
		}},
		{"cooked, ping to self", "odd/zeek_linux_dlt_sll2_ping.pcap", "192.0.2.1", func(n *Node) bool {
			return n.RequestsSent == 1 && n.RequestsReceived == 1 && n.RepliesSent == 1 && n.RepliesReceived == 1
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			if n := runOne(t, testutil.Shared(t, c.file), c.node); !c.ok(n) {
				t.Errorf("%+v", n)
			}
		})
	}
	// STP, ARP, SSDP and DHCP in the node captures are ignored: counted
	// against first principles in TestNSSANodesFromFirstPrinciples.
}

func TestAmbiguousAndEmpty(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	_, err := Run(context.Background(), Options{Files: []string{testutil.Shared(t, "odd/zeek_icmp_dot1q.pcap")}})
	if !errors.Is(err, ErrAmbiguous) || !strings.Contains(err.Error(), "--node") {
		t.Errorf("ambiguous: %v", err)
	}
	_, err = Run(context.Background(), Options{Files: []string{testutil.Testdata("http", "synth-gaps-v6.pcap")}})
	if !errors.Is(err, ErrNoEcho) {
		t.Errorf("no ICMP: %v", err)
	}
}

func TestNameFromFile(t *testing.T) {
	for in, want := range map[string]string{"Node1.pcap": "Node 1", "/x/node_12.pcapng": "Node 12", "trace.pcap.gz": "trace", "NodeA.pcap": "NodeA"} {
		if got := NameFromFile(in); got != want {
			t.Errorf("%s: %q", in, got)
		}
	}
}

// TestReusedKey: every ping to a peer carries the same identifier and
// sequence number, and some are lost. A reply that arrives while several
// requests under its key are unanswered is flagged ambiguous (the truth
// marks the same ones), paired with the latest request, and no RTT takes
// in the interval between pings.
func TestReusedKey(t *testing.T) {
	t.Parallel()
	path := testutil.Testdata("icmp", "synth-reuse.pcap")
	var tr synth.ICMPTruth
	testutil.ReadJSON(t, path+".truth.json", &tr)
	n := runOne(t, path, "")
	if n.Answered != tr.Answered || n.Lost != tr.RequestsSent-tr.Answered || n.DuplicateReplies != tr.Duplicates ||
		n.AmbiguousReplies != tr.AmbiguousReplies || n.AmbiguousReplies == 0 || n.UnsolicitedReply != 0 {
		t.Errorf("answered %d lost %d dup %d ambiguous %d unsolicited %d; truth answered %d of %d, %d dup, %d ambiguous",
			n.Answered, n.Lost, n.DuplicateReplies, n.AmbiguousReplies, n.UnsolicitedReply, tr.Answered, tr.RequestsSent, tr.Duplicates, tr.AmbiguousReplies)
	}
	if want := float64(tr.RTTSumNS) / float64(tr.Answered) / 1e6; !near(n.AvgRTTms, want) {
		t.Errorf("average RTT %v ms, truth %v", n.AvgRTTms, want)
	}
	perPeer := map[string]int{}
	maxRTT := 0.0
	for _, e := range tr.Echoes {
		if e.Ambiguous {
			perPeer[e.Peer]++
		}
		if e.ReplyFrame != 0 {
			maxRTT = max(maxRTT, float64(e.RTTNS)/1e6)
		}
	}
	if !near(n.RTT.Max, maxRTT) {
		t.Errorf("max RTT %v ms, truth %v", n.RTT.Max, maxRTT)
	}
	for _, p := range n.Peers {
		if p.AmbiguousReplies != perPeer[p.Addr.String()] {
			t.Errorf("peer %s: %d ambiguous, truth %d", p.Addr, p.AmbiguousReplies, perPeer[p.Addr.String()])
		}
	}
}
