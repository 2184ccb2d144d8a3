package shard

import (
	"fmt"
	"net/netip"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

type tuple struct{ a, b netip.AddrPort } // a < b

// tuple4 is a tuple of two IPv4 ends, 12 bytes where a tuple holds 64
// (netip.Addr keeps room for IPv6 and a zone pointer): the router's
// table has one key per connection.
type tuple4 struct {
	a, b   [4]byte
	ap, bp uint16
}

// orderTuple is the connection of a packet from src to dst, the same for
// both directions.
func orderTuple(src, dst netip.AddrPort) tuple {
	t := tuple{src, dst}
	if t.b.Addr().Less(t.a.Addr()) || (t.a.Addr() == t.b.Addr() && t.b.Port() < t.a.Port()) {
		t.a, t.b = t.b, t.a
	}
	return t
}

// flowState is one connection tuple. base holds, per direction (0: from
// the tuple's a side), the sequence number tshark anchors that direction
// at: the first segment's, or the ACK of a SYN/ACK minus one for the other
// side. A SYN (without ACK) carrying another sequence number is a new
// connection on the same ports for tshark, closed or not
// (TestStreamNumberingMatchesTshark checks the cases against tshark).
type flowState struct {
	global  int64
	local   int64 // the stream's index in its shard (Out.flows)
	shard   int32
	base    [2]uint32
	baseSet [2]bool
}

// thinState is what thinning (thin.go) keeps of a connection: each
// direction's state, whether the connection has carried payload, and
// whether a packet of unknown length stopped the judging. Apart from
// flowState, so that a split that does not thin holds none.
type thinState struct {
	dirs   [2]dirState
	data   bool
	opaque bool
}

// observe updates the anchors with a packet going in direction d.
func (fs *flowState) observe(d int, p pkt) {
	if !fs.baseSet[d] {
		fs.base[d], fs.baseSet[d] = p.seq, true
	}
	if p.flags&0x12 == 0x12 && !fs.baseSet[1-d] { // SYN/ACK
		fs.base[1-d], fs.baseSet[1-d] = p.ack-1, true
	}
}

// router sends each packet of one pass to its shard, numbering
// connections as tshark will.
type router struct {
	k    int
	outs map[int]*Out
	// flows (IPv4) and flows6 (the rest) index states by tuple: values
	// and small keys, one per tuple for the whole read, where a map of
	// tuples to pointers held ~200 bytes per connection. thins, by the
	// same index, grows only when a shard thins.
	flows  map[tuple4]uint32
	flows6 map[tuple]uint32
	states []flowState
	thins  []thinState
	nflows int64 // tshark's streams so far (a port reuse is a new one)
	// ntuples counts address and port pairs, each placed in a shard.
	ntuples int64
	// ranges, when above 0, routes by packet number instead: frames
	// 1..ranges to shard 0, the next ranges to shard 1, and so on, the
	// last shard taking the rest; packets need not be parsed then.
	ranges int64
	// skipTCP leaves out every plain TCP packet.
	skipTCP bool
	// pairs, if set, places what is not plain TCP by address pair
	// (other.go) instead of in shard 0.
	pairs map[pairKey]int
}

// route writes packet frame (its bytes data) to its shard's output, when
// that shard is produced in this pass.
func (r *router) route(link layers.LinkType, frame int64, ci gopacket.CaptureInfo, data []byte) error {
	p, err := parseTCP(link, data)
	if err != nil && r.ranges == 0 {
		return err
	}
	if r.skipTCP && p.ok {
		return nil
	}
	s, d := 0, 0
	var fs *flowState
	var fi uint32
	switch {
	case r.ranges > 0:
		s = int(min((frame-1)/r.ranges, int64(r.k-1)))
	case p.ok:
		fi, d = r.place(p)
		fs = &r.states[fi] // valid until the next place
		s = int(fs.shard)
	case r.pairs != nil:
		s = r.placeOther(link, data)
	}
	o := r.outs[s]
	if o == nil {
		return nil
	}
	if o.Only != nil && (fs == nil || !o.Only[fs.global]) {
		return nil
	}
	if o.Thin && fs != nil && r.thinState(fi).thin(d, p) {
		return nil
	}
	if o.traceStreams && fs != nil {
		o.streams = append(o.streams, fs.global)
	}
	if !o.NoFrames || o.Heads {
		o.mu.Lock()
		if !o.NoFrames {
			o.frames = append(o.frames, uint32(frame))
		}
		if o.Heads {
			o.record(int64(len(o.frames)), fs, p, ci)
		}
		o.mu.Unlock()
	}
	if o.Watch != nil || o.WatchFrames != nil {
		o.written++
		if o.Watch != nil {
			o.Watch(o.written, link, ci, data)
		}
		if o.WatchFrames != nil {
			o.WatchFrames(o.written, frame, link, ci, data)
		}
	}
	if err := o.pw.WritePacket(ci, data); err != nil {
		return fmt.Errorf("shard %d: %w", s, err)
	}
	return nil
}

// place finds (or starts) the connection of a TCP packet: its index in
// r.states, and the packet's direction in it (0: from the tuple's a side).
func (r *router) place(p pkt) (uint32, int) {
	t := orderTuple(p.src, p.dst)
	d := 0
	if p.src != t.a {
		d = 1
	}
	i, ok := r.lookup(t)
	syn := p.flags&0x02 != 0 && p.flags&0x10 == 0
	if !ok {
		// Round robin by first appearance, not a hash: with at least k
		// connections (Flows) no shard is left without one.
		i = uint32(len(r.states))
		r.states = append(r.states, flowState{global: r.nflows, shard: int32(r.ntuples % int64(r.k))})
		r.nflows++
		r.ntuples++
		r.insert(t, i)
		r.states[i].register(r.outs, p)
	} else if fs := &r.states[i]; syn && fs.baseSet[d] && p.seq != fs.base[d] {
		// Port reuse (or a capture that began mid-connection): tshark
		// starts a new stream here.
		fs.global, fs.baseSet = r.nflows, [2]bool{}
		if int(i) < len(r.thins) {
			r.thins[i] = thinState{}
		}
		r.nflows++
		fs.register(r.outs, p)
	}
	r.states[i].observe(d, p)
	return i, d
}

// lookup is tuple t's index in r.states.
func (r *router) lookup(t tuple) (uint32, bool) {
	if k, ok := key4(t); ok {
		i, ok := r.flows[k]
		return i, ok
	}
	i, ok := r.flows6[t]
	return i, ok
}

func (r *router) insert(t tuple, i uint32) {
	if k, ok := key4(t); ok {
		r.flows[k] = i
		return
	}
	if r.flows6 == nil {
		r.flows6 = map[tuple]uint32{}
	}
	r.flows6[t] = i
}

// key4 is t as a tuple4, when both its ends are IPv4.
func key4(t tuple) (tuple4, bool) {
	a, b := t.a.Addr(), t.b.Addr()
	if !a.Is4() || !b.Is4() {
		return tuple4{}, false
	}
	return tuple4{a: a.As4(), b: b.As4(), ap: t.a.Port(), bp: t.b.Port()}, true
}

// thinState is connection i's thinning state, added when first needed.
func (r *router) thinState(i uint32) *thinState {
	if n := uint32(len(r.thins)); i >= n {
		r.thins = append(r.thins, make([]thinState, i+1-n)...)
	}
	return &r.thins[i]
}

func (fs *flowState) register(outs map[int]*Out, p pkt) {
	// A connection an Out does not keep is not numbered there: tshark
	// never sees it.
	if o := outs[int(fs.shard)]; o != nil && (o.Only == nil || o.Only[fs.global]) {
		o.mu.Lock()
		fs.local = o.flows.len()
		o.flows.add(Flow{Global: fs.global, A: p.src, B: p.dst})
		o.mu.Unlock()
	}
}
