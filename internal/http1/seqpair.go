package http1

import (
	"net/netip"
	"slices"
	"strconv"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// SeqPairer is the reconciliation of connections a hole the capture never
// fills left incomplete in pass 1 (Options.Reconcile). It is fed the rows
// of a tshark run with TCP desegmentation off, where every captured segment
// that begins an HTTP message reports it (so a gap cannot stall anything),
// and places the messages by sequence number: a response begins at the
// server sequence number its request acknowledged (the server cannot
// answer bytes it has not received, and in a strictly request/response
// connection it answers at once), so requests are grouped by the
// acknowledgement number they carried (one request, or a pipelined batch
// sent before any answer arrived) and each group owns the responses that
// begin from its acknowledgement number up to the next group's.
type SeqPairer struct {
	cuts    map[int64]Cut
	streams map[int64]*seqStream
	t       Tally
}

type seqMsg struct {
	frame int64
	t     parse.Time
	seq   int64 // start; start + i for the i-th follower in one segment
	ack   uint32
	index int
	last  bool // the last message the segment reports
	// request
	method, uri, host string
	code              int
	body              exchange.Size // its Content-Length
}

type seqDir struct {
	segs    map[int64]seg // by start: the earliest captured copy
	started bool
	base    uint32 // raw sequence number that counts as relative 0
	ref     int64
	msgs    []seqMsg
	maxAck  int64 // highest acknowledgement this side sent, unwrapped later
	acks    []uint32
	fin     int64 // sequence number of this side's FIN, -1 if none
	syn     bool  // the capture holds this side's SYN: its byte 1 is its first
}

type seqStream struct {
	a     netip.AddrPort
	addrs [2]netip.AddrPort
	dirs  [2]seqDir
	reset bool
}

// NewSeqPairer reconciles the connections of cuts (tcp.stream → what pass
// 1 emitted); rows of other connections are ignored.
func NewSeqPairer(cuts map[int64]Cut) *SeqPairer {
	return &SeqPairer{cuts: cuts, streams: map[int64]*seqStream{}}
}

func (d *seqDir) unwrap(seq uint32) int64 {
	return d.ref + int64(int32(seq-uint32(d.ref)))
}

// rel is a raw sequence (or the peer's acknowledgement) number of d as
// tshark's relative numbering counts it.
func (d *seqDir) rel(raw uint32) int64 { return d.unwrap(raw - d.base) }

// Add takes one row of the desegmentation-off run.
func (sp *SeqPairer) Add(pk *Packet) {
	if !pk.HasStream {
		return
	}
	if _, ok := sp.cuts[pk.Stream]; !ok {
		return
	}
	st := sp.streams[pk.Stream]
	src := netip.AddrPortFrom(pk.Src, pk.SrcPort)
	if st == nil {
		st = &seqStream{a: src}
		st.addrs[0], st.addrs[1] = src, netip.AddrPortFrom(pk.Dst, pk.DstPort)
		st.dirs[0] = seqDir{segs: map[int64]seg{}, fin: -1}
		st.dirs[1] = seqDir{segs: map[int64]seg{}, fin: -1}
		sp.streams[pk.Stream] = st
	}
	i := 0
	if src != st.a {
		i = 1
	}
	d := &st.dirs[i]
	if !d.started {
		// tshark's relative numbers: the SYN is 0; without one, the
		// first byte seen is 1.
		d.started, d.base = true, pk.Seq-1
		if pk.Flags&parse.FlagSYN != 0 {
			d.base, d.syn = pk.Seq, true
		}
	}
	s := d.rel(pk.Seq)
	d.ref = s
	if pk.Flags&parse.FlagSYN != 0 {
		s++
	}
	if pk.Flags&parse.FlagRST != 0 {
		st.reset = true
	}
	if pk.Flags&parse.FlagACK != 0 {
		st.dirs[i].acks = append(st.dirs[i].acks, pk.Ack)
	}
	if pk.Flags&parse.FlagFIN != 0 && d.fin < 0 {
		d.fin = s + int64(pk.Len)
	}
	if pk.Len > 0 {
		if old, ok := d.segs[s]; !ok || old.len < pk.Len {
			d.segs[s] = seg{frame: pk.Frame, t: pk.Time, seq: s, len: pk.Len, ack: pk.Ack}
			if ok { // a longer copy keeps the first sighting's time
				d.segs[s] = seg{frame: old.frame, t: old.t, seq: s, len: pk.Len, ack: old.ack}
			}
		}
	}
	n := len(pk.Methods) + len(pk.Codes)
	for k := 0; k < n; k++ {
		m := seqMsg{frame: pk.Frame, t: pk.Time, seq: s + int64(k), ack: pk.Ack, index: k, last: k == n-1, body: pk.body(k)}
		if k < len(pk.Methods) {
			m.method, m.uri, m.host = pk.Methods[k], pk.URIs[k], pk.Hosts[k]
		} else {
			m.code = pk.Codes[k-len(pk.Methods)]
		}
		d.msgs = append(d.msgs, m)
	}
}

// Flush pairs every reconciled connection, in connection order, and hands
// the exchanges pass 1 did not emit to sink. The returned tally counts
// what it placed by guess (Ambiguous) and the exchanges it reconstructed.
func (sp *SeqPairer) Flush(sink exchange.Sink) (Tally, error) {
	ids := make([]int64, 0, len(sp.streams))
	for id := range sp.streams {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := sp.pairStream(id, sp.streams[id], sink); err != nil {
			return Tally{}, err
		}
	}
	return sp.t, nil
}

// dedup sorts a direction's messages by start and drops retransmitted
// copies (the first sighting stays).
func (d *seqDir) dedup() {
	slices.SortStableFunc(d.msgs, func(a, b seqMsg) int {
		if a.seq != b.seq {
			return cmp64(a.seq, b.seq)
		}
		return cmp64(a.frame, b.frame)
	})
	d.msgs = slices.CompactFunc(d.msgs, func(a, b seqMsg) bool { return a.seq == b.seq })
}

func cmp64(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// reach is how far d's byte stream is known to have gone: its captured
// bytes, or what the peer acknowledged (whose acks are peerAcks), short of
// a FIN.
func (d *seqDir) reach(peerAcks []uint32) int64 {
	r := int64(-1)
	for _, s := range d.segs {
		r = max(r, s.seq+int64(s.len))
	}
	for _, a := range peerAcks {
		r = max(r, d.rel(a))
	}
	if d.fin >= 0 && r > d.fin {
		r = d.fin
	}
	return r
}

// lastByte returns the latest-arriving captured segment of [lo, hi), and
// whether the capture holds every byte of it.
func (d *seqDir) lastByte(lo, hi int64) (seg, bool) {
	var spans []seg
	for _, s := range d.segs {
		if s.seq < hi && s.seq+int64(s.len) > lo {
			spans = append(spans, s)
		}
	}
	slices.SortFunc(spans, func(a, b seg) int { return cmp64(a.seq, b.seq) })
	var last seg
	at, whole := lo, true
	for _, s := range spans {
		if s.seq > at {
			whole = false
		}
		at = max(at, s.seq+int64(s.len))
		if last.frame == 0 || s.t.Sub(last.t) > 0 {
			last = s
		}
	}
	return last, whole && at >= hi && len(spans) > 0
}

// end returns where d's k-th message ends: the next message's start, or
// the stream's reach.
func (d *seqDir) end(k int, reach int64) int64 {
	if k+1 < len(d.msgs) {
		return min(d.msgs[k+1].seq, reach)
	}
	return reach
}

// lastOf returns the frame and time of d's k-th message's last byte and
// whether they are known. The message ends at the next one's start, at
// the latest at bound (for a response: the next request group's
// acknowledgement, which is where the next response begins even when the
// capture lacks its start).
//
// bodied says whether the message carries the body its Content-Length
// declares (not a response to HEAD, nor a 1xx, 204 or 304). Such a
// message whose end is not another message's start (the capture or the
// connection ends first) and is shorter than its declared body is
// incomplete: its last byte was never captured, however whole the bytes
// before it are.
func (d *seqDir) lastOf(k int, bound int64, bodied bool) (int64, parse.Time, bool) {
	m := d.msgs[k]
	if !m.last {
		return m.frame, m.t, true // a follower starts in the same segment
	}
	end := d.end(k, bound)
	s, ok := d.lastByte(m.seq, max(end, m.seq+1))
	if s.frame == 0 {
		return m.frame, m.t, false
	}
	if ok && bodied && d.truncated(k, end) {
		ok = false
	}
	return s.frame, s.t, ok
}

// minHead is the shortest header block a message whose Content-Length
// tshark read can have, given what tshark printed of it: its start line
// (for a response "ICY 200", the shortest tshark parses; for a request
// its method and a one-byte URI, since tshark may take a line without a
// version), its Content-Length line and the blank line, every line ended
// by a bare LF (tshark accepts one, so CRLF is not assumed). The real
// length is not in the fields the runs print (-T fields gives no header or
// body offsets), so a message cut by fewer bytes than its real headers
// exceed this bound still looks whole; the bound only narrows that margin
// (it was 16 bytes for every message), and it never exceeds a real
// message's headers, so no complete message is taken for a truncated one.
func minHead(m *seqMsg) int64 {
	line := int64(len("ICY 200\n"))
	if m.method != "" {
		line = int64(len(m.method) + len(" /\n"))
	}
	cl := int64(len("Content-Length:\n") + len(strconv.FormatInt(m.body.N, 10)))
	return line + cl + 1
}

// truncated reports whether d's k-th message, ending at end, is shorter than
// its Content-Length says, and end is not where a later message begins:
// the message was cut short (by the capture's end, a reset, or a server
// that answered before an upload was complete).
func (d *seqDir) truncated(k int, end int64) bool {
	m := &d.msgs[k]
	if !m.body.Known || end-m.seq >= m.body.N+minHead(m) {
		return false
	}
	return k+1 >= len(d.msgs) || d.msgs[k+1].seq != end
}

// bodied says whether a response with this status to a request with this
// method carries the body its Content-Length declares.
func bodied(method string, code int) bool {
	return method != "HEAD" && code >= 200 && code != 204 && code != 304
}

// wire is the size on the wire of d's k-th message (start line, headers
// and body): from its first byte to where the next message begins, at the
// latest bound; whole is lastOf's verdict for the same k and bound (the
// capture holds every byte up to that end), passed in rather than worked
// out again over every segment. It is known only when the message alone
// begins its segment (where a follower in the same segment starts is not
// in tshark's fields) and is whole (a message lost in a gap in between
// would otherwise be counted in).
func (d *seqDir) wire(k int, bound int64, whole bool) exchange.Size {
	m := d.msgs[k]
	if m.index != 0 || !m.last || !whole {
		return exchange.Size{}
	}
	end := d.end(k, bound)
	if end <= m.seq {
		return exchange.Size{}
	}
	return exchange.Bytes(end - m.seq)
}
