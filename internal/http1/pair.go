package http1

import (
	"net/netip"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

type pending struct {
	ex exchange.Exchange
	// ack is the client's acknowledgement number when it began sending
	// the request: server bytes below it were sent before the server
	// could have seen this request, so they cannot be its response.
	ack uint32
	// seq is where the request begins in the client's byte stream, a
	// frame's i-th request counting as its first one's start + i (Cut's
	// convention), so that a cut inside a pipelined batch falls between
	// two of its requests.
	seq int64
}

type stream struct {
	a       netip.AddrPort // first source seen: direction 0
	dirs    [2]direction
	pending []*pending
	retrans int
	fins    int
	// loneInterim counts 1xx responses seen before their request was
	// reported.
	loneInterim int
	server      netip.AddrPort
	client      netip.AddrPort
	known       bool
	// Under Options.Reconcile: holding is set while a direction has bytes
	// beyond a hole, and the exchanges meanwhile wait in heldEx; cut says
	// what had been emitted when holding began; lastReq and lastResp are
	// where the last parsed messages began (-1: none yet).
	holding           bool
	heldEx            []exchange.Exchange
	cut               Cut
	lastReq, lastResp int64
	// heldEst and heldAmb are the estimates and guesses counted while
	// holding: the reconciliation reports those exchanges instead, so
	// they are taken back if it does.
	heldEst, heldAmb int
	// unparsedReq (Options.Reconcile): a final response came with no
	// request pending while the client had sent bytes no parsed request
	// accounts for. Those bytes are most likely the request it answers,
	// one tshark never reported (an upload the server answered before
	// its body was complete, which desegmentation waits for forever), so
	// the connection is left to reconciliation, where a message is
	// reported on the segment it begins in.
	unparsedReq bool
}

// Pairer pairs the HTTP messages of a packet stream. Feed it every packet
// in frame order with Add, then call Flush once at the end, which returns
// what it counted.
type Pairer struct {
	opt     Options
	sink    exchange.Sink
	streams map[int64]*stream
	t       Tally
}

// NewPairer returns a pairer that hands exchanges to sink.
func NewPairer(opt Options, sink exchange.Sink) *Pairer {
	return &Pairer{
		opt: opt,
		sink: func(e *exchange.Exchange) error {
			e.Protocol = exchange.HTTP1
			return sink(e)
		},
		streams: make(map[int64]*stream),
		t: Tally{
			RetransByServer: make(map[netip.AddrPort]int),
			ConnsByServer:   make(map[netip.AddrPort]int),
			InterimByServer: make(map[netip.AddrPort]int),
		},
	}
}

// Add processes one packet.
func (p *Pairer) Add(pk *Packet) error {
	if pk.UDP {
		p.t.UDPMessages += pk.UDPMessages
		return nil
	}
	if !pk.HasStream {
		return nil
	}
	st := p.streams[pk.Stream]
	src := netip.AddrPortFrom(pk.Src, pk.SrcPort)
	dst := netip.AddrPortFrom(pk.Dst, pk.DstPort)
	if st == nil {
		st = &stream{a: src, lastReq: -1, lastResp: -1}
		p.streams[pk.Stream] = st
	}
	dir, peer := &st.dirs[0], &st.dirs[1]
	if src != st.a {
		dir, peer = peer, dir
	}
	if pk.Retransmission {
		// With sequence analysis on, tshark hands a retransmitted copy to
		// HTTP only when the original was never seen (the copy fills a
		// gap), so a message reported here is its first and only sighting.
		st.retrans++
		p.t.RetransSegments++
	}
	here := dir.observe(pk)
	if pk.Flags&parse.FlagACK != 0 && p.opt.Reconcile {
		peer.ackedBy(pk.Ack)
	}
	if err := p.hold(st); err != nil {
		return err
	}
	if len(pk.Methods) == 0 && len(pk.Codes) == 0 {
		return p.flags(pk, st)
	}
	m := newMsgFrame(pk, dir, here)
	if pk.Retransmission && dir.seen(m.start) {
		// A retransmitted copy of messages already parsed.
		p.t.DuplicateMessages += len(pk.Methods) + len(pk.Codes)
		return p.flags(pk, st)
	}
	for i := range pk.Methods {
		p.request(m, st, i, src, dst)
		st.lastReq = m.start + int64(i)
	}
	for i := range pk.Codes {
		if err := p.response(m, st, i, dst, src); err != nil {
			return err
		}
		st.lastResp = m.start + int64(i)
	}
	dir.reported(m.start)
	return p.flags(pk, st)
}

// msgFrame is a frame that completes HTTP messages, with where they began.
type msgFrame struct {
	pk   *Packet
	dir  *direction // the direction the messages travel
	here seg        // this frame as a segment
	// filler is set when this frame filled a hole (a retransmission or an
	// out-of-order segment).
	filler bool
	// start is where the first message begins; gap says that unparsed
	// bytes lie between it and the previous message (checked before the
	// frame's messages move the mark).
	start int64
	gap   bool
}

func newMsgFrame(pk *Packet, dir *direction, here seg) *msgFrame {
	m := &msgFrame{pk: pk, dir: dir, here: here, filler: pk.Retransmission || pk.OutOfOrder}
	fs, _ := m.first(0)
	m.start = fs.seq
	m.gap = dir.gapBefore(m.start)
	return m
}

// first returns the segment holding the first byte of the frame's i-th
// message, and whether that is exact. The first message may have started
// in an earlier segment; any further ones started in this frame
// (mid-segment, so with no gap before them).
//
// Except when this frame filled a hole: then every message queued behind
// the hole completes here, and where the second and later ones began is
// not in tshark's fields. This frame's time is then an upper bound of
// their first byte, and they are counted as estimated.
func (m *msgFrame) first(i int) (seg, bool) {
	if i == 0 && m.pk.FirstSegment > 0 && m.pk.FirstSegment != m.pk.Frame {
		return m.dir.lookup(m.pk.FirstSegment, m.here)
	}
	return m.here, i == 0 || !m.filler
}

// wire is the size on the wire of the frame's message that began in
// segment fs: from its first byte to the end of this frame, which is
// exact only when the frame completes that one message and fs is exactly
// known. (A frame that also carries the first bytes of the next message
// makes it an overcount; tshark's fields do not say where that begins.)
// A frame that filled a hole ends the message only when no byte had
// arrived beyond it: otherwise the message's tail was among the bytes
// held past the hole, and where it ends is not in tshark's fields either.
func (m *msgFrame) wire(fs seg, exact bool) exchange.Size {
	if !exact || len(m.pk.Methods)+len(m.pk.Codes) != 1 {
		return exchange.Size{}
	}
	if m.filler && m.dir.frontier != m.here.seq+int64(m.pk.Len) {
		return exchange.Size{}
	}
	n := m.here.seq + int64(m.pk.Len) - fs.seq
	if n <= 0 {
		return exchange.Size{}
	}
	return exchange.Bytes(n)
}

// last is the time of the frame's messages' last byte: the frame's own,
// except on an empty frame (a FIN or RST that ends a body delimited by the
// close), where it is the direction's last payload segment's.
func (m *msgFrame) last() parse.Time {
	if m.pk.Len == 0 && m.dir.lastData.frame > 0 {
		return m.dir.lastData.t
	}
	return m.pk.Time
}

// firstByte is m.first, counting the estimates.
func (p *Pairer) firstByte(st *stream, m *msgFrame, i int) (seg, bool) {
	fs, ok := m.first(i)
	if !ok {
		p.t.Estimated++
		if st.holding {
			st.heldEst++
		}
	}
	return fs, ok
}

// request queues the frame's i-th request on its connection.
func (p *Pairer) request(m *msgFrame, st *stream, i int, client, server netip.AddrPort) {
	pk := m.pk
	p.t.Requests++
	fs, ok := p.firstByte(st, m, i)
	p.know(st, client, server)
	interim := st.loneInterim
	st.loneInterim = 0
	st.pending = append(st.pending, &pending{ack: fs.ack, seq: m.start + int64(i), ex: exchange.Exchange{
		Interim: interim,
		Kind:    exchange.Unmatched, Stream: pk.Stream, Client: client, Server: server,
		Method: pk.Methods[i], URI: pk.URIs[i], Host: pk.Hosts[i],
		Req: exchange.MsgRef{Frame: pk.Frame, Index: i}, ReqFirstFrame: fs.frame, ReqFirst: fs.t, ReqLast: pk.Time,
		Estimated: !ok, ReqBody: pk.body(i), ReqWire: m.wire(fs, ok),
	}})
}

// response pairs the frame's i-th response with the request it answers,
// or reports it alone.
func (p *Pairer) response(m *msgFrame, st *stream, i int, client, server netip.AddrPort) error {
	pk, code := m.pk, m.pk.Codes[i]
	fs, ok := p.firstByte(st, m, i)
	p.know(st, client, server)
	interim := code >= 100 && code < 200 && code != 101
	if interim {
		p.t.Interim++
	} else {
		p.t.Responses++
	}
	pe, err := p.claim(m, st, i)
	if err != nil {
		return err
	}
	switch {
	case pe == nil && interim:
		// Typically 100 Continue: tshark reports the request only once
		// its body is complete, after the 1xx. The next request on the
		// connection takes it.
		st.loneInterim++
		return nil
	case pe == nil:
		if err := p.unparsedRequest(st, m.dir == &st.dirs[0]); err != nil {
			return err
		}
		return p.emit(st, &exchange.Exchange{
			Kind: exchange.Orphan, Stream: pk.Stream, Client: client, Server: server, Status: code,
			Resp: exchange.MsgRef{Frame: pk.Frame, Index: i}, RespFirstFrame: fs.frame, RespFirst: fs.t, RespLast: m.last(),
			Estimated: !ok, RespBody: pk.body(len(pk.Methods) + i), RespWire: m.wire(fs, ok),
		})
	case interim:
		pe.ex.Interim++
		return nil
	}
	ex := pe.ex
	ex.Kind = exchange.Matched
	ex.Status = code
	ex.Resp = exchange.MsgRef{Frame: pk.Frame, Index: i}
	ex.RespFirstFrame, ex.RespFirst, ex.RespLast = fs.frame, fs.t, m.last()
	ex.Estimated = ex.Estimated || !ok
	ex.RespBody, ex.RespWire = pk.body(len(pk.Methods)+i), m.wire(fs, ok)
	p.removePending(st, pe)
	return p.emit(st, &ex)
}

// unparsedRequest notes an orphan response that follows client bytes no
// parsed request accounts for (see stream.unparsedReq) and starts holding
// the connection's exchanges for reconciliation. srvIsA says whether the
// server is the connection's direction 0.
func (p *Pairer) unparsedRequest(st *stream, srvIsA bool) error {
	if !p.opt.Reconcile || p.opt.Mode != PairTuple || st.unparsedReq {
		return nil
	}
	cli := &st.dirs[0]
	if srvIsA {
		cli = &st.dirs[1]
	}
	if !cli.started || (cli.frontier <= cli.mark && len(cli.held) == 0) {
		return nil
	}
	st.unparsedReq = true
	return p.hold(st)
}

// claim finds the pending request the frame's i-th response answers (nil:
// none).
func (p *Pairer) claim(m *msgFrame, st *stream, i int) (*pending, error) {
	switch p.opt.Mode {
	case PairTuple:
		if i == 0 && m.gap {
			if err := p.resync(st, m.dir, m.start); err != nil {
				return nil, err
			}
		}
		if len(st.pending) > 0 {
			return st.pending[0], nil
		}
	case PairTshark:
		if link := m.pk.RequestIn[i]; link > 0 {
			for j := len(st.pending) - 1; j >= 0; j-- {
				if st.pending[j].ex.Req.Frame == link {
					return st.pending[j], nil
				}
			}
		}
	}
	return nil, nil
}

// resync handles a response that starts after server bytes no HTTP
// message was parsed from: a capture gap, typically, that swallowed one or
// more earlier responses. Pure FIFO would then pair every later response
// with the request before its own. The client's acknowledgement numbers
// say how far the server's byte stream had got when each request was sent:
// if a younger pending request was sent after the client had received some
// of the unparsed bytes, those bytes were the responses to the requests
// before it, which are therefore unanswered in this capture. Pipelined
// requests sent before any of the gap carry no such evidence and keep
// FIFO order.
func (p *Pairer) resync(st *stream, dir *direction, start int64) error {
	if len(st.pending) < 2 {
		return nil
	}
	k := 0
	for j := len(st.pending) - 1; j > 0; j-- {
		a := dir.unwrap(st.pending[j].ack)
		if a > dir.mark && a <= start {
			k = j
			break
		}
	}
	if k == 0 {
		// Pipelined requests were all sent before the gap: how many
		// responses it swallowed is unknowable, FIFO is a guess.
		p.t.Ambiguous++
		if st.holding {
			st.heldAmb++
		}
		return nil
	}
	for _, q := range st.pending[:k] {
		p.t.LostResponses++
		ex := q.ex
		ex.ResponseLost, ex.Unanswered = true, "response_lost"
		if err := p.emit(st, &ex); err != nil {
			return err
		}
	}
	st.pending = st.pending[k:]
	return nil
}

// know records which side of a connection is the server, from its first
// HTTP message.
func (p *Pairer) know(st *stream, client, server netip.AddrPort) {
	if !st.known {
		st.known, st.client, st.server = true, client, server
		p.t.ConnsByServer[server]++
	}
}

func (p *Pairer) removePending(st *stream, pe *pending) {
	for j, q := range st.pending {
		if q == pe {
			st.pending = append(st.pending[:j], st.pending[j+1:]...)
			return
		}
	}
}
