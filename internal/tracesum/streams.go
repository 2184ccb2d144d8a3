package tracesum

import "github.com/pcapmeter/pcapmeter/internal/handshake"

// streamTable is one tshark's TCP streams: which it has seen, and each
// one's handshake while it unfolds. A completed handshake leaves only its
// RTT; the tracker of a stream whose handshake never completes stays to
// the end (it might yet). tshark numbers its streams densely from 0, so
// the table is a slice by stream number, with a map for a number far
// beyond the others (never seen, but not worth a huge slice).
type streamTable struct {
	slots  []int32         // by stream: 0 unseen, done, or 1+ index in active
	far    map[int64]int32 // slots of streams beyond the slice
	active []connHandshake
	free   []int32 // indexes of active no longer in use
	seen   int     // distinct streams
	rtts   []float64
}

// done marks a stream seen whose handshake is over (completed, or
// dropped for the other shard's table after a merge).
const done = -1

// connHandshake is one TCP stream's handshake; a (an address id of the
// collector's conversation table) and aPort are its first sender, so that
// directions are numbered as tcpconn numbers them.
type connHandshake struct {
	a     uint32
	aPort uint16
	hs    handshake.Tracker
}

// farStream is how far past the slice's end a stream number starts the
// map instead.
const farStream = 1 << 16

// get is stream's slot.
func (t *streamTable) get(stream int64) int32 {
	if stream < int64(len(t.slots)) {
		return t.slots[stream]
	}
	return t.far[stream]
}

// set sets stream's slot, growing the slice up to a stream not far past
// its end.
func (t *streamTable) set(stream int64, v int32) {
	n := int64(len(t.slots))
	switch {
	case stream < n:
		t.slots[stream] = v
	case stream < n+farStream:
		t.slots = append(t.slots, make([]int32, stream+1-n)...)
		t.slots[stream] = v
	default:
		if t.far == nil {
			t.far = map[int64]int32{}
		}
		t.far[stream] = v
	}
}

// has says whether stream has been seen.
func (t *streamTable) has(stream int64) bool { return t.get(stream) != 0 }

// add accounts frame f of stream, sent from (src, f.SrcPort).
func (t *streamTable) add(stream int64, src uint32, f *Frame) {
	v := t.get(stream)
	if v == done {
		return
	}
	if v == 0 {
		t.seen++
		var i int32
		if n := len(t.free); n > 0 {
			i, t.free = t.free[n-1], t.free[:n-1]
		} else {
			i = int32(len(t.active))
			t.active = append(t.active, connHandshake{})
		}
		t.active[i] = connHandshake{a: src, aPort: f.SrcPort, hs: handshake.New()}
		v = i + 1
		t.set(stream, v)
	}
	c := &t.active[v-1]
	d := 0
	if src != c.a || f.SrcPort != c.aPort {
		d = 1
	}
	c.hs.Add(d, f.Flags, f.Time)
	if c.hs.Done() {
		if h := c.hs.Result(); h.Complete {
			t.rtts = append(t.rtts, h.RTT)
		}
		t.free = append(t.free, v-1)
		t.set(stream, done)
	}
}

// merge adds another tshark's streams, disjoint from t's (each shard's
// collector sees one shard's tshark).
func (t *streamTable) merge(o *streamTable) {
	t.seen += o.seen
	t.rtts = append(t.rtts, o.rtts...)
}
