package icmpnode

import (
	"net/netip"
	"reflect"
	"testing"

	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/stats"
)

// ping feeds c one request from src to dst at ms milliseconds and, when
// rtt > 0, its reply rtt milliseconds later.
func ping(c *collector, src, dst netip.Addr, seq string, ms, rtt float64) {
	t := parse.Time(ms * 1e6)
	c.add(&Echo{Time: t, Src: src, Dst: dst, TTL: 64, Request: true, ID: "1", Seq: seq, FrameLen: 98, DataLen: 56})
	if rtt > 0 {
		c.add(&Echo{Time: t + parse.Time(rtt*1e6), Src: dst, Dst: src, TTL: 64, ID: "1", Seq: seq, FrameLen: 98, DataLen: 56})
	}
}

// The node's RTTs are those of all its peers, each peer's its own, summarized
// from samples the summary sorts in place; a peer the node never pinged
// still lists its percentiles.
func TestNodeSummariesPerPeer(t *testing.T) {
	a, b, cc, d := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2"), netip.MustParseAddr("10.0.0.3"), netip.MustParseAddr("10.0.0.4")
	c := newCollector()
	rtts := map[netip.Addr][]float64{b: {5, 1, 3}, cc: {4, 2, 9, 7}}
	var all []float64
	for i, peer := range []netip.Addr{b, cc} {
		for j, r := range rtts[peer] {
			ping(c, a, peer, string(rune('a'+i*10+j)), float64(1000*(i*10+j)), r)
			all = append(all, r)
		}
	}
	ping(c, d, a, "z", 50_000, 2)
	ps := []float64{25, 50, 99}
	n := &Node{Addr: a}
	if err := c.node(n, ps); err != nil {
		t.Fatal(err)
	}
	want, _ := stats.Summarize(all, ps)
	if !reflect.DeepEqual(n.RTT, want) {
		t.Errorf("node RTT %+v, want %+v", n.RTT, want)
	}
	for _, p := range n.Peers {
		w, _ := stats.Summarize(rtts[p.Addr], ps)
		if !reflect.DeepEqual(p.RTT, w) || len(p.RTT.Percentiles) != len(ps) {
			t.Errorf("peer %s RTT %+v, want %+v", p.Addr, p.RTT, w)
		}
	}
	if len(n.Peers) != 3 || n.RepliedToReceived != 1 {
		t.Errorf("%d peers, %d requests answered", len(n.Peers), n.RepliedToReceived)
	}
}

// A swept map is replaced by one of its survivors, which still know their
// replies: a second reply is a duplicate, a reply to a forgotten request
// unsolicited.
func TestSweepKeepsLiveRequests(t *testing.T) {
	a, b := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("10.0.0.2")
	c := newCollector()
	for i := range 100 {
		ping(c, a, b, string(rune(0x100+i)), float64(i), 1)
	}
	ping(c, a, b, "late", 200_000, 1) // sweeps the 100
	if len(c.pending) != 1 || c.forgotten != 0 {
		t.Fatalf("%d pending, %d forgotten since the move", len(c.pending), c.forgotten)
	}
	c.add(&Echo{Time: parse.Time(200_002 * 1e6), Src: b, Dst: a, TTL: 64, ID: "1", Seq: "late"})
	c.add(&Echo{Time: parse.Time(200_003 * 1e6), Src: b, Dst: a, TTL: 64, ID: "1", Seq: string(rune(0x100))})
	p := c.pairs[[2]netip.Addr{a, b}]
	if p.answered != 101 || p.dupReplies != 1 || p.unsolicited != 1 {
		t.Errorf("answered %d, duplicates %d, unsolicited %d", p.answered, p.dupReplies, p.unsolicited)
	}
}
