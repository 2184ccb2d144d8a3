package icmpnode

import (
	"fmt"
	"net/netip"
	"sort"

	"github.com/pcapmeter/pcapmeter/stats"
)

// totals are the sums behind one node's averages, gathered over the
// request/response pairs it takes part in.
type totals struct {
	sumRTT   float64
	frameAns int64 // frame bytes of the node's answered requests
	dataAns  int64
	hops     int
	delaySum float64 // the node's reply delays, seconds
	peers    map[netip.Addr]*Peer
	peerHops map[netip.Addr]int
	// mine are the pairs the node requested, in address order: their
	// RTTs are the node's and, one pair per peer, each peer's.
	mine []peerPair
}

// peerPair is one pair the node requested and the peer that answered.
type peerPair struct {
	peer netip.Addr
	*pair
}

func (t *totals) peer(a netip.Addr) *Peer {
	p := t.peers[a]
	if p == nil {
		p = &Peer{Addr: a}
		t.peers[a] = p
	}
	return p
}

// node fills n's metrics from the pairs involving n.Addr.
func (c *collector) node(n *Node, ps []float64) error {
	t := &totals{peers: map[netip.Addr]*Peer{}, peerHops: map[netip.Addr]int{}}
	for _, k := range c.sortedPairs() {
		req, resp := k[0], k[1]
		if req == n.Addr {
			t.requested(n, resp, c.pairs[k])
		}
		if resp == n.Addr {
			t.responded(n, req, c.pairs[k])
		}
	}
	if n.RequestsSent+n.RequestsReceived+n.RepliesSent+n.RepliesReceived == 0 {
		return fmt.Errorf("%w to or from %s", ErrNoEcho, n.Addr)
	}
	n.Lost = max(0, n.RequestsSent-n.Answered)
	if n.Answered > 0 {
		n.AvgRTTms = t.sumRTT / float64(n.Answered) * 1e3
		n.AvgHops = float64(t.hops) / float64(n.Answered)
	}
	if t.sumRTT > 0 {
		n.ThroughputKBps = float64(t.frameAns) / t.sumRTT / 1e3
		n.GoodputKBps = float64(t.dataAns) / t.sumRTT / 1e3
	}
	if n.RepliedToReceived > 0 {
		n.AvgReplyDelayUs = t.delaySum / float64(n.RepliedToReceived) * 1e6
	}
	var err error
	if n.RTT, err = t.summarize(ps); err != nil {
		return err
	}
	for a, p := range t.peers {
		p.Lost = max(0, p.RequestsSent-p.Answered)
		if p.Answered > 0 {
			p.AvgHops = float64(t.peerHops[a]) / float64(p.Answered)
		}
		n.Peers = append(n.Peers, *p)
	}
	sort.Slice(n.Peers, func(i, j int) bool { return n.Peers[i].Addr.Less(n.Peers[j].Addr) })
	return nil
}

// summarize gives the node's RTT summary and each peer's, in
// milliseconds, and lets go of the pairs' samples as it copies them into
// the one sorted array (not one for the node, one per peer and a copy of
// each for sorting, six arrays of 4 MB at 2M packets). It runs after
// every sum.
func (t *totals) summarize(ps []float64) (stats.Summary, error) {
	for _, p := range t.peers {
		// A peer the node never pinged lists its percentiles, empty.
		p.RTT, _ = stats.Summarize(nil, ps)
	}
	all := 0
	for _, p := range t.mine {
		all += p.durations.n
	}
	xs := make([]float64, 0, all)
	for _, p := range t.mine {
		from := len(xs)
		xs = p.durations.appendMS(xs)
		p.durations = samples{}
		if len(t.mine) > 1 {
			t.peers[p.peer].RTT, _ = stats.Summarize(xs[from:], ps)
		}
	}
	s, err := stats.SummarizeInPlace(xs, ps)
	if len(t.mine) == 1 {
		// One peer: its sample is the node's.
		t.peers[t.mine[0].peer].RTT = s
	}
	return s, err
}

// requested adds the pings the node sent to resp.
func (t *totals) requested(n *Node, resp netip.Addr, p *pair) {
	n.RequestsSent += p.requests
	n.RequestBytesSent += p.bytes
	n.RequestDataSent += p.data
	n.RepliesReceived += p.answered + p.dupReplies + p.unsolicited
	n.Answered += p.answered
	n.DuplicateReplies += p.dupReplies
	n.UnsolicitedReply += p.unsolicited
	n.AmbiguousReplies += p.ambiguous
	t.mine = append(t.mine, peerPair{resp, p})
	p.durations.each(func(d float64) { t.sumRTT += d })
	t.frameAns += p.frameSumAns
	t.dataAns += p.dataSumAns
	t.hops += p.hopsSum
	pp := t.peer(resp)
	pp.RequestsSent += p.requests
	pp.Answered += p.answered
	pp.AmbiguousReplies += p.ambiguous
	t.peerHops[resp] += p.hopsSum
}

// responded adds the pings req sent to the node.
func (t *totals) responded(n *Node, req netip.Addr, p *pair) {
	n.RequestsReceived += p.requests
	n.RequestBytesRecv += p.bytes
	n.RequestDataRecv += p.data
	n.RepliesSent += p.answered + p.dupReplies + p.unsolicited
	n.RepliedToReceived += p.answered
	n.AmbiguousReplyDelays += p.ambiguous
	p.durations.each(func(d float64) { t.delaySum += d })
	pp := t.peer(req)
	pp.RequestsReceived += p.requests
	pp.RepliesSent += p.answered + p.dupReplies + p.unsolicited
}

// sortedPairs returns the (requester, responder) keys in address order,
// so that sums come out the same run after run.
func (c *collector) sortedPairs() [][2]netip.Addr {
	keys := make([][2]netip.Addr, 0, len(c.pairs))
	for k := range c.pairs {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i][0] != keys[j][0] {
			return keys[i][0].Less(keys[j][0])
		}
		return keys[i][1].Less(keys[j][1])
	})
	return keys
}
