package icmpnode

import (
	"fmt"
	"net/netip"
	"sort"
	"strings"

	"github.com/pcapmeter/pcapmeter/parse"
)

type key struct {
	requester, responder netip.Addr
	id, seq              string
}

// request is one echo request waiting for its reply.
type request struct {
	t    parse.Time
	size [2]int64 // frame and data bytes of the request
}

// pending is what a key (requester, responder, identifier, sequence)
// still waits for. A node that reuses identifier and sequence number
// (some ping tools, some load balancers' health checks) leaves several
// requests under one key; a reply then cannot be told apart.
type pending struct {
	open []request // unanswered, oldest first
	// answered says the latest request under the key has its reply, so
	// another reply before the next request is a duplicate.
	answered bool
	last     parse.Time // the latest request's time
}

// forgetAfter bounds memory on long captures: a request is forgotten this
// long (capture time) after it was sent. A reply later than that counts as
// a reply without a request.
const forgetAfter = 120 * 1e9

type pair struct {
	requests    int
	bytes, data int64
	answered    int
	durations   samples // reply time − request time, seconds
	frameSumAns int64   // frame bytes of answered requests
	dataSumAns  int64
	hopsSum     int
	dupReplies  int
	unsolicited int
	// ambiguous counts replies that arrived while more than one request
	// under their key was unanswered; each is paired with the latest of
	// them (an older one's reply would be later than the next ping).
	ambiguous int
}

type addrStat struct {
	packets     int
	sent        int
	initialTTLs int // sent packets whose TTL is an initial value
}

// collector accumulates one file's echoes, whatever the node turns out to be.
type collector struct {
	pending map[key]*pending
	pairs   map[[2]netip.Addr]*pair // requester, responder
	addrs   map[netip.Addr]*addrStat
	echoes  int
	errors  int
	swept   parse.Time
	// forgotten counts the requests swept since pending last moved.
	forgotten int
}

func initialTTL(ttl int) int {
	for _, i := range []int{32, 64, 128, 255} {
		if ttl <= i {
			return i
		}
	}
	return 255
}

func (c *collector) pairOf(req, resp netip.Addr) *pair {
	k := [2]netip.Addr{req, resp}
	p := c.pairs[k]
	if p == nil {
		p = &pair{}
		c.pairs[k] = p
	}
	return p
}

func (c *collector) add(e *Echo) {
	c.echoes++
	for i, a := range []netip.Addr{e.Src, e.Dst} {
		s := c.addrs[a]
		if s == nil {
			s = &addrStat{}
			c.addrs[a] = s
		}
		if i == 1 && e.Dst == e.Src {
			break
		}
		s.packets++
		if i == 0 {
			s.sent++
			if initialTTL(e.TTL) == e.TTL {
				s.initialTTLs++
			}
		}
	}
	if e.Request {
		k := key{e.Src, e.Dst, e.ID, e.Seq}
		p := c.pairOf(e.Src, e.Dst)
		p.requests++
		p.bytes += int64(e.FrameLen)
		p.data += int64(e.DataLen)
		q := c.pending[k]
		if q == nil {
			q = &pending{}
			c.pending[k] = q
		}
		q.open = append(q.open, request{t: e.Time, size: [2]int64{int64(e.FrameLen), int64(e.DataLen)}})
		q.answered, q.last = false, e.Time
		if e.Time-c.swept > forgetAfter {
			c.sweep(e.Time)
		}
		return
	}
	c.reply(e)
}

// reply pairs a reply with the latest unanswered request under its key.
func (c *collector) reply(e *Echo) {
	p := c.pairOf(e.Dst, e.Src)
	q := c.pending[key{e.Dst, e.Src, e.ID, e.Seq}]
	switch {
	case q == nil:
		p.unsolicited++
		return
	case q.answered || len(q.open) == 0:
		p.dupReplies++
		return
	}
	if len(q.open) > 1 {
		p.ambiguous++
	}
	r := q.open[len(q.open)-1]
	q.open, q.answered = q.open[:len(q.open)-1], true
	p.answered++
	p.durations.add(e.Time.Sub(r.t))
	p.frameSumAns += r.size[0]
	p.dataSumAns += r.size[1]
	p.hopsSum += initialTTL(e.TTL) - e.TTL + 1
}

// sweep forgets the requests sent more than forgetAfter before now. The
// survivors move to a new map when as many entries have gone since the
// last move as survive: a Go map never shrinks, and one swept every two
// minutes of a long capture grew to twice its live size (2M packets: 7.8
// MB for 21k pending requests, 4.1 MB at 500k).
func (c *collector) sweep(now parse.Time) {
	for k, q := range c.pending {
		if now-q.last > forgetAfter {
			delete(c.pending, k)
			c.forgotten++
			continue
		}
		i := 0
		for i < len(q.open) && now-q.open[i].t > forgetAfter {
			i++
		}
		q.open = q.open[i:]
	}
	if c.forgotten > len(c.pending) {
		// Not maps.Clone, which keeps the old map's size.
		live := make(map[key]*pending, len(c.pending))
		for k, q := range c.pending {
			live[k] = q
		}
		c.pending, c.forgotten = live, 0
	}
	c.swept = now
}

// detect finds the capture's own host: the address present in the most
// echo packets (as source or destination). A tie is broken by TTLs: the
// capturing host's own packets leave with an initial TTL (32, 64, 128 or
// 255), while a remote host's arrive decremented by every router on the
// way. Anything still tied is refused.
func detect(c *collector) (netip.Addr, string, error) {
	if c.echoes == 0 {
		return netip.Addr{}, "", ErrNoEcho
	}
	type cand struct {
		a netip.Addr
		s *addrStat
	}
	var cs []cand
	for a, s := range c.addrs {
		cs = append(cs, cand{a, s})
	}
	sort.Slice(cs, func(i, j int) bool {
		if cs[i].s.packets != cs[j].s.packets {
			return cs[i].s.packets > cs[j].s.packets
		}
		return cs[i].a.Less(cs[j].a)
	})
	top := []cand{cs[0]}
	for _, x := range cs[1:] {
		if x.s.packets == cs[0].s.packets {
			top = append(top, x)
		}
	}
	why := fmt.Sprintf("in %d of %d echo packets", cs[0].s.packets, c.echoes)
	if len(top) == 1 {
		return top[0].a, "the only address " + why, nil
	}
	var initial []cand
	for _, x := range top {
		if x.s.sent > 0 && x.s.initialTTLs == x.s.sent {
			initial = append(initial, x)
		}
	}
	if len(initial) == 1 {
		return initial[0].a, why + ", and the only one sending with an undecremented TTL", nil
	}
	names := make([]string, len(top))
	for i, x := range top {
		names[i] = x.a.String()
	}
	return netip.Addr{}, "", fmt.Errorf("%w: %s each appear %s; give the node's address with --node", ErrAmbiguous, strings.Join(names, " and "), why)
}
