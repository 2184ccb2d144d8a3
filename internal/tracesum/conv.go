package tracesum

import (
	"strconv"
	"strings"
)

// names numbers distinct strings (addresses, protocol names) so that a
// table keyed by them holds small integers instead: a capture has far
// fewer addresses than conversations. Each name is copied once, so that
// it does not keep alive the decoder's line it was cut from.
type names struct {
	ids  map[string]uint32
	list []string
}

func (n *names) id(s string) uint32 {
	if i, ok := n.ids[s]; ok {
		return i
	}
	if n.ids == nil {
		n.ids = map[string]uint32{}
	}
	i := uint32(len(n.list))
	s = strings.Clone(s)
	n.ids[s] = i
	n.list = append(n.list, s)
	return i
}

// convEnd is one end of a conversation: an address (a names id) and its
// port (0 for a conversation without ports).
type convEnd struct {
	addr uint32
	port uint16
}

func (e convEnd) less(o convEnd) bool {
	return e.addr < o.addr || (e.addr == o.addr && e.port < o.port)
}

// convKey is a conversation: its transport (or top protocol) as a names
// id, whether its ends carry ports, and its two ends, x not after y in
// convEnd order. Ports set apart "tcp" over ports from a frame whose top
// protocol is tcp without them, as the strings once did.
type convKey struct {
	x, y  convEnd
	tr    uint16 // tshark's protocols number in the thousands
	ports bool
}

// convCount is a conversation's traffic; its bytes are xy+yx.
type convCount struct {
	packets int64
	xy, yx  int64 // bytes from x to y, from y to x
}

// convTable counts conversations in values keyed by numbers: the
// endpoint strings ("addr:port", "[v6]:port") are built only for the
// conversations reported, where a map keyed by them held three strings
// and a pointer per conversation.
type convTable struct {
	addrs, protos names
	m             map[convKey]convCount
}

func newConvTable() convTable { return convTable{m: map[convKey]convCount{}} }

// add counts frame f, which has addresses, src being f.Src's id.
func (t *convTable) add(f *Frame, src uint32) {
	tr, ports := f.Transport, true
	if tr == "" {
		tr, ports = f.Top, false
	}
	x, y := convEnd{src, 0}, convEnd{t.addrs.id(f.Dst), 0}
	if ports {
		x.port, y.port = f.SrcPort, f.DstPort
	}
	t.count(convKey{x: x, y: y, tr: uint16(t.protos.id(tr)), ports: ports}, 1, int64(f.Len), 0)
}

// count adds packets and bytes (from k.x to k.y and back) to k, putting
// its ends in order first.
func (t *convTable) count(k convKey, packets, xy, yx int64) {
	if k.y.less(k.x) {
		k.x, k.y, xy, yx = k.y, k.x, yx, xy
	}
	c := t.m[k]
	c.packets += packets
	c.xy += xy
	c.yx += yx
	t.m[k] = c
}

// merge adds o's conversations, renumbering their names into t's.
func (t *convTable) merge(o *convTable) {
	addr := make([]uint32, len(o.addrs.list))
	for i, s := range o.addrs.list {
		addr[i] = t.addrs.id(s)
	}
	proto := make([]uint16, len(o.protos.list))
	for i, s := range o.protos.list {
		proto[i] = uint16(t.protos.id(s))
	}
	for k, c := range o.m {
		k.x.addr, k.y.addr, k.tr = addr[k.x.addr], addr[k.y.addr], proto[k.tr]
		t.count(k, c.packets, c.xy, c.yx)
	}
}

// conversation is k as reported: A is the end whose string sorts first
// (x when both are the same).
func (t *convTable) conversation(k convKey, c convCount) Conversation {
	a, b := t.end(k.x, k.ports), t.end(k.y, k.ports)
	ab, ba := c.xy, c.yx
	if b < a {
		a, b, ab, ba = b, a, ba, ab
	}
	return Conversation{Transport: t.protos.list[k.tr], A: a, B: b,
		Packets: int(c.packets), Bytes: ab + ba, AtoB: ab, BtoA: ba}
}

func (t *convTable) end(e convEnd, ports bool) string {
	addr := t.addrs.list[e.addr]
	if !ports {
		return addr
	}
	return endpoint(addr, e.port)
}

// endpoint is "addr:port", with an IPv6 address in brackets.
func endpoint(addr string, port uint16) string {
	p := strconv.Itoa(int(port))
	if strings.IndexByte(addr, ':') >= 0 {
		return "[" + addr + "]:" + p
	}
	return addr + ":" + p
}

// talkerLess orders the reported conversations: most bytes first, then
// by their strings.
func talkerLess(a, b *Conversation) bool {
	if a.Bytes != b.Bytes {
		return a.Bytes > b.Bytes
	}
	return a.Transport+a.A+a.B < b.Transport+b.A+b.B
}

// top is the first n conversations in talkerLess order (nil without
// any), the strings built only for those that can be among them.
func (t *convTable) top(n int) []Conversation {
	var best []Conversation
	if n < 1 {
		return nil
	}
	for k, c := range t.m {
		if len(best) == n && c.xy+c.yx < best[n-1].Bytes {
			continue
		}
		cv := t.conversation(k, c)
		if len(best) == n && !talkerLess(&cv, &best[n-1]) {
			continue
		}
		i := len(best)
		for i > 0 && talkerLess(&cv, &best[i-1]) {
			i--
		}
		if len(best) < n {
			best = append(best, Conversation{})
		}
		copy(best[i+1:], best[i:len(best)-1])
		best[i] = cv
	}
	return best
}
