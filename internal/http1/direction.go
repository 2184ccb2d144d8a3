package http1

import (
	"slices"

	"github.com/pcapmeter/pcapmeter/parse"
)

// segBufMax bounds, per connection direction, how many payload segments
// are remembered while waiting for the HTTP message they belong to:
// 1<<18 segments cover a 380 MB message at a 1460-byte MSS.
const segBufMax = 1 << 18

// seg is one payload segment as the pairer remembers it.
type seg struct {
	frame int64
	t     parse.Time
	seq   int64 // unwrapped relative sequence number
	len   int
	ack   uint32
}

type span struct{ lo, hi int64 }

// direction follows one byte stream of a connection the way its receiver
// would: which bytes have arrived contiguously (frontier), which arrived
// ahead of a hole (held), and where the last parsed HTTP message left off
// (mark). Bytes between mark and the start of the next parsed message are
// bytes no message was parsed from: a capture gap, or a message tshark
// could not dissect.
type direction struct {
	segs     []seg // payload segments not yet known to precede a parsed message
	started  bool
	frontier int64
	held     []span // sorted by lo; all lo > frontier
	mark     int64
	// recent holds where the last few parsed messages started, to
	// recognise a retransmitted copy of one that tshark dissects again
	// (it does, with out-of-order reassembly off).
	recent [8]int64
	nrec   int
	// acked is the highest position the peer acknowledged (valid once
	// ackSeen), and fin where this side's FIN sits (-1: none seen): a
	// peer that acknowledged bytes beyond the frontier received bytes the
	// capture lacks, a hole no later segment of this side may reveal
	// (the request tail that the answer to it follows).
	acked   int64
	ackSeen bool
	fin     int64
	// lastData is the latest segment that carried payload: a message
	// tshark completes on a FIN or RST (a body delimited by the close)
	// ended in it, not in the empty closing frame.
	lastData seg
}

// ackedBeyond reports whether the peer acknowledged bytes of this side
// the capture has not (yet) shown: a FIN counts as one byte.
func (d *direction) ackedBeyond() bool {
	if !d.ackSeen || d.acked <= d.frontier {
		return false
	}
	return !(d.fin >= 0 && d.frontier >= d.fin && d.acked <= d.fin+1)
}

// ackedBy records the peer's acknowledgement number.
func (d *direction) ackedBy(ack uint32) {
	if !d.started {
		return
	}
	a := d.unwrap(ack)
	if !d.ackSeen || a > d.acked {
		d.acked, d.ackSeen = a, true
	}
}

// seen reports whether a message starting at start was already parsed.
func (d *direction) seen(start int64) bool {
	for i := 0; i < min(d.nrec, len(d.recent)); i++ {
		if d.recent[i] == start {
			return true
		}
	}
	return false
}

// unwrap turns a 32-bit relative sequence number into a position that
// keeps growing past 4 GiB, taking the nearest one to the frontier.
func (d *direction) unwrap(seq uint32) int64 {
	return d.frontier + int64(int32(seq-uint32(d.frontier)))
}

// observe records a packet of this direction and returns it as a seg.
func (d *direction) observe(pk *Packet) seg {
	if !d.started {
		d.started = true
		start := int64(pk.Seq)
		if pk.Flags&parse.FlagSYN != 0 {
			start++
		}
		d.frontier, d.mark, d.fin = start, start, -1
	}
	s := seg{frame: pk.Frame, t: pk.Time, seq: d.unwrap(pk.Seq), len: pk.Len, ack: pk.Ack}
	if pk.Flags&parse.FlagFIN != 0 && d.fin < 0 {
		d.fin = s.seq + int64(s.len)
	}
	if pk.Len == 0 {
		return s
	}
	d.lastData = s
	if len(d.segs) >= segBufMax {
		d.segs = d.segs[1:]
	}
	d.segs = append(d.segs, s)
	d.arrive(span{s.seq, s.seq + int64(s.len)})
	return s
}

func (d *direction) arrive(sp span) {
	if sp.hi <= d.frontier {
		return
	}
	if sp.lo > d.frontier {
		i, _ := slices.BinarySearchFunc(d.held, sp.lo, func(h span, lo int64) int {
			switch {
			case h.lo < lo:
				return -1
			case h.lo > lo:
				return 1
			}
			return 0
		})
		if len(d.held) < segBufMax {
			d.held = slices.Insert(d.held, i, sp)
		}
		return
	}
	d.frontier = sp.hi
	d.absorb()
}

func (d *direction) absorb() {
	n := 0
	for n < len(d.held) && d.held[n].lo <= d.frontier {
		d.frontier = max(d.frontier, d.held[n].hi)
		n++
	}
	d.held = d.held[n:]
}

// gapBefore reports whether bytes no parsed message accounts for lie
// between the last parsed message and a message starting at start.
func (d *direction) gapBefore(start int64) bool { return start > d.mark }

// reported is called after messages were parsed in a frame, the first of
// them starting at start. Bytes tshark skipped to get there count as
// received; the mark moves to the frontier, which may already include the
// beginning of the next message (that is not a gap).
func (d *direction) reported(start int64) {
	d.recent[d.nrec%len(d.recent)] = start
	d.nrec++
	if start > d.frontier {
		d.frontier = start
		d.absorb()
	}
	d.mark = max(d.mark, d.frontier)
	// Segments wholly before the message's start belong to earlier
	// messages and will not be looked up again.
	keep := d.segs[:0]
	for _, s := range d.segs {
		if s.seq >= start || s.seq+int64(s.len) > start {
			keep = append(keep, s)
		}
	}
	d.segs = keep
}

// lookup returns the buffered segment of frame and whether it was still
// buffered; when it is gone the earliest buffered segment is returned.
func (d *direction) lookup(frame int64, fallback seg) (seg, bool) {
	i, ok := slices.BinarySearchFunc(d.segs, frame, func(s seg, f int64) int {
		switch {
		case s.frame < f:
			return -1
		case s.frame > f:
			return 1
		}
		return 0
	})
	if ok {
		return d.segs[i], true
	}
	if len(d.segs) > 0 && d.segs[0].frame > frame {
		return d.segs[0], false
	}
	return fallback, false
}
