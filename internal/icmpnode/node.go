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
	rtts     []float64 // the node's pings, seconds
	sumRTT   float64
	frameAns int64 // frame bytes of the node's answered requests
	dataAns  int64
	hops     int
	delaySum float64 // the node's reply delays, seconds
	peers    map[netip.Addr]*Peer
	peerRTT  map[netip.Addr][]float64
	peerHops map[netip.Addr]int
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
	t := &totals{peers: map[netip.Addr]*Peer{}, peerRTT: map[netip.Addr][]float64{}, peerHops: map[netip.Addr]int{}}
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
	if n.RTT, err = stats.Summarize(toMS(t.rtts), ps); err != nil {
		return err
	}
	for a, p := range t.peers {
		p.Lost = max(0, p.RequestsSent-p.Answered)
		p.RTT, _ = stats.Summarize(toMS(t.peerRTT[a]), ps)
		if p.Answered > 0 {
			p.AvgHops = float64(t.peerHops[a]) / float64(p.Answered)
		}
		n.Peers = append(n.Peers, *p)
	}
	sort.Slice(n.Peers, func(i, j int) bool { return n.Peers[i].Addr.Less(n.Peers[j].Addr) })
	return nil
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
	t.rtts = append(t.rtts, p.durations...)
	for _, d := range p.durations {
		t.sumRTT += d
	}
	t.frameAns += p.frameSumAns
	t.dataAns += p.dataSumAns
	t.hops += p.hopsSum
	pp := t.peer(resp)
	pp.RequestsSent += p.requests
	pp.Answered += p.answered
	pp.AmbiguousReplies += p.ambiguous
	t.peerRTT[resp] = append(t.peerRTT[resp], p.durations...)
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
	for _, d := range p.durations {
		t.delaySum += d
	}
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

func toMS(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = x * 1e3
	}
	return out
}
