package http1

import (
	"net/netip"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
)

// seqConn is one reconciled connection while its exchanges are made.
type seqConn struct {
	id             int64
	st             *seqStream
	cli, srv       *seqDir
	client, server netip.AddrPort
	cut            Cut
	cliReach       int64
	srvReach       int64
	bound          int64 // where the current group's responses end
	// orphans counts the orphan responses emitted, but those answering
	// requests hidden before their group's first request (hiddenFirst).
	orphans int
	sink    exchange.Sink
	// headStall: a HEAD's response with a nonzero Content-Length came
	// after a later request was sent, so tshark, reassembling, took that
	// Content-Length for a body (it reads a response by the latest
	// request) and swallowed what followed: pass 1's RespOpen is then
	// its stall, not the last response's.
	headStall bool
}

// pairStream makes the exchanges of one connection.
func (sp *SeqPairer) pairStream(id int64, st *seqStream, sink exchange.Sink) error {
	ci := -1
	for i := range st.dirs {
		for _, m := range st.dirs[i].msgs {
			if m.method != "" && ci < 0 {
				ci = i
			}
		}
	}
	if ci < 0 {
		for i := range st.dirs {
			if len(st.dirs[i].msgs) > 0 {
				ci = 1 - i
			}
		}
	}
	if ci < 0 {
		return nil
	}
	c := &seqConn{id: id, st: st, cli: &st.dirs[ci], srv: &st.dirs[1-ci], cut: sp.cuts[id], sink: sink}
	c.cli.dedup()
	c.srv.dedup()
	c.cliReach = c.cli.reach(c.srv.acks)
	c.srvReach = c.srv.reach(c.cli.acks)
	c.client, c.server = st.addrs[ci], st.addrs[1-ci]
	// Final responses only; a 1xx joins the request it precedes.
	var resp []int
	for k, m := range c.srv.msgs {
		if m.code != 0 && (m.code >= 200 || m.code == 101) {
			resp = append(resp, k)
		}
	}
	c.unparsedFirst(resp)
	// Groups: runs of requests that carried the same acknowledgement.
	reqs := c.cli.msgs
	r := 0
	// open: no orphan explained the client bytes missing before the
	// group's first request, so they may hold requests answered in the
	// group's own range. Before the first request only when byte 1 is
	// the stream's start.
	open := c.cli.syn
	for g := 0; g < len(reqs); {
		lo := c.srv.rel(reqs[g].ack)
		h := g + 1
		for h < len(reqs) && c.srv.rel(reqs[h].ack) == lo {
			h++
		}
		hi := int64(1 << 62)
		if h < len(reqs) {
			hi = c.srv.rel(reqs[h].ack)
		}
		// Responses before this group's acknowledgement answer requests
		// the capture lacks.
		c.bound = lo
		o := c.orphans
		for r < len(resp) && c.srv.msgs[resp[r]].seq < lo {
			if err := c.orphan(resp[r]); err != nil {
				return err
			}
			r++
		}
		lead := c.holeBefore(g)
		open = open && c.orphans == o
		var mine []int
		for r < len(resp) && c.srv.msgs[resp[r]].seq < hi {
			mine = append(mine, resp[r])
			r++
		}
		c.bound = min(hi, c.srvReach)
		o = c.orphans
		if err := c.group(&sp.t, g, h, lo, mine, lead, open); err != nil {
			return err
		}
		open = c.orphans == o
		g = h
	}
	c.bound = c.srvReach
	for ; r < len(resp); r++ {
		if err := c.orphan(resp[r]); err != nil {
			return err
		}
	}
	return nil
}

// unparsedFirst adds the connection's first request when tshark parsed
// none from the client's first bytes (a malformed request line, "GET/
// HTTP/1.1", that a server answers 400) but a final response begins
// exactly where the server stood when those bytes were sent: the
// response answers them. Only on a connection whose client SYN is
// captured, so that byte 1 is a message's start (not the tail of a
// request sent before the capture began). Its method is unknown ("").
func (c *seqConn) unparsedFirst(resp []int) {
	first, ok := c.cli.segs[1]
	if !c.cli.syn || !ok || len(resp) == 0 || (len(c.cli.msgs) > 0 && c.cli.msgs[0].seq == 1) {
		return
	}
	at := c.srv.rel(first.ack)
	for _, k := range resp {
		if m := c.srv.msgs[k]; m.seq == at {
			c.cli.msgs = append([]seqMsg{{frame: first.frame, t: first.t, seq: 1, ack: first.ack, last: true}}, c.cli.msgs...)
			return
		} else if m.seq > at {
			return
		}
	}
}

// group pairs requests [g, h), which carried acknowledgement lo, with the
// responses mine (indexes into srv.msgs) that begin in their range. The
// first request's response begins exactly at lo; when none does, its start
// fell in a gap. Further requests of a pipelined batch pair in order; when
// the counts differ the batch spans a gap and the pairing is a guess
// (counted Ambiguous).
//
// lead says that client bytes just before request g are missing:
// requests hidden there were sent before request g, so their responses
// come first (hiddenFirst); open, that no earlier group's responses
// explained those bytes.
func (c *seqConn) group(t *Tally, g, h int, lo int64, mine []int, lead, open bool) error {
	if lead {
		if done, err := c.hiddenFirst(t, g, h, lo, mine, open); done || err != nil {
			return err
		}
	}
	if h-g > 1 {
		return c.batch(t, g, h, lo, mine)
	}
	q := g
	if len(mine) == 0 || c.answerStart(mine[0], lo) != lo {
		// The first request's response began in bytes the capture lacks
		// (or was never sent).
		if err := c.unanswered(t, q, lo); err != nil {
			return err
		}
		q++
	}
	k := 0
	for ; q < h && k < len(mine); q, k = q+1, k+1 {
		if err := c.matched(t, q, mine[k]); err != nil {
			return err
		}
	}
	for ; q < h; q++ {
		if err := c.unanswered(t, q, lo); err != nil {
			return err
		}
	}
	for ; k < len(mine); k++ {
		if err := c.orphanAs(t, mine[k], ""); err != nil {
			return err
		}
	}
	return nil
}

// holeBefore says whether the client bytes just before request g (after
// request g-1's start, or from byte 1 for the first) are missing.
func (c *seqConn) holeBefore(g int) bool {
	from := int64(1)
	if g > 0 {
		from = c.cli.msgs[g-1].seq
	}
	at := c.cli.msgs[g].seq
	hs := c.cli.holes(from, at)
	return len(hs) > 0 && hs[len(hs)-1].hi == at
}

// hiddenFirst places the responses of requests a client hole just before
// request g hid, where counting decides it. With no server bytes missing
// in the group's range, the responses beyond the group's visible requests
// answer the hidden ones, which precede them: orphans, first (when client
// bytes among or after the visible requests are missing too, requests
// hidden there may be the ones answered: the same guess, flagged
// AmbiguousPipelined). When the hole is open (no earlier group's orphans
// explained it): with server bytes missing only at the range's start and
// as many responses as visible requests, the hidden requests' responses
// fell in that gap and the visible messages pair in order; with server
// bytes missing elsewhere, how many messages each gap hid is unknowable:
// FIFO, flagged AmbiguousPipelined. Otherwise (not done) the hole hid
// nothing this group answers and the group is paired as before.
func (c *seqConn) hiddenFirst(t *Tally, g, h int, lo int64, mine []int, open bool) (done bool, err error) {
	sh := c.srv.holes(lo, c.bound)
	n, v := h-g, len(mine)
	whole := c.wholeRequests(g, h)
	switch {
	case len(sh) == 0 && v > n:
		amb := ""
		if !whole {
			amb = AmbiguousPipelined // or later requests hidden there
		}
		for _, k := range mine[:v-n] {
			if err := c.orphanAs(t, k, amb); err != nil {
				return true, err
			}
		}
		c.orphans -= v - n
		return true, c.pairRun(t, g, h, mine[v-n:], false, amb)
	case !open:
		return false, nil
	case v == n && len(sh) == 1 && sh[0].lo == lo && sh[0].hi <= c.srv.msgs[mine[0]].seq && whole:
		return true, c.pairRun(t, g, h, mine, false, "")
	case len(sh) > 0:
		return true, c.pairRun(t, g, h, mine, true, AmbiguousPipelined)
	}
	return false, nil
}

// wholeRequests says whether the capture holds every client byte from
// request g's start to request h's (the stream's reach for the last).
func (c *seqConn) wholeRequests(g, h int) bool {
	end := c.cliReach
	if h < len(c.cli.msgs) {
		end = c.cli.msgs[h].seq
	}
	return len(c.cli.holes(c.cli.msgs[g].seq, end)) == 0
}

// answerStart is where the answer ending in the server's k-th message (a
// final response) began: at the first of the 1xx responses just before it
// that begin at or after lo, since a 100 Continue or 103 Early Hints is the
// start of the same request's answer.
func (c *seqConn) answerStart(k int, lo int64) int64 {
	j := k
	for j > 0 && c.srv.msgs[j-1].seq >= lo && isInterim(c.srv.msgs[j-1].code) {
		j--
	}
	return c.srv.msgs[j].seq
}

// isInterim says whether a status code is a 1xx that a final response
// follows (101 Switching Protocols is final for HTTP/1).
func isInterim(code int) bool { return code >= 100 && code < 200 && code != 101 }

// request is the exchange of the client's q-th message, unanswered.
func (c *seqConn) request(q int) exchange.Exchange {
	m := c.cli.msgs[q]
	lf, lt, ok := c.cli.lastOf(q, c.cliReach, true)
	return exchange.Exchange{
		Kind: exchange.Unmatched, Protocol: exchange.HTTP1, Stream: c.id, Client: c.client, Server: c.server,
		Method: m.method, URI: m.uri, Host: m.host,
		Req: exchange.MsgRef{Frame: lf, Index: m.index}, ReqFirstFrame: m.frame, ReqFirst: m.t, ReqLast: lt,
		ReqLastUnknown: !ok, Reconstructed: true,
		ReqBody: m.body, ReqWire: c.cli.wire(q, c.cliReach, ok),
	}
}

// unanswered reports request q, whose response would begin at lo: lost in
// a gap when the server's byte stream went beyond lo, else never sent
// before the capture (or connection) ended.
func (c *seqConn) unanswered(t *Tally, q int, lo int64) error {
	return c.unansweredAs(t, q, c.srvReach > lo, "")
}

// unansweredAs reports request q unanswered, its response lost in a gap
// or not, flagged amb.
func (c *seqConn) unansweredAs(t *Tally, q int, lost bool, amb string) error {
	if c.cli.msgs[q].seq < c.cut.ReqFrom {
		return nil
	}
	e := c.request(q)
	switch {
	case lost:
		e.ResponseLost = true
		e.Unanswered = "response_lost"
		t.LostResponses++
	case c.st.reset:
		e.Unanswered = "reset"
	default:
		e.Unanswered = "capture_end"
	}
	c.flag(t, &e, amb)
	t.Reconstructed++
	return c.sink(&e)
}

// flag marks e ambiguous (amb != "") and counts it.
func (c *seqConn) flag(t *Tally, e *exchange.Exchange, amb string) {
	if amb != "" {
		e.Ambiguous = amb
		t.Ambiguous++
	}
}

// matched reports request q answered by the server's k-th message.
func (c *seqConn) matched(t *Tally, q, k int) error { return c.matchedAs(t, q, k, "") }

// matchedAs is matched, flagged amb.
func (c *seqConn) matchedAs(t *Tally, q, k int, amb string) error {
	m := c.srv.msgs[k]
	c.noteHeadStall(q, &m)
	if c.cli.msgs[q].seq < c.cut.ReqFrom {
		return nil
	}
	e := c.request(q)
	full := bodied(c.cli.msgs[q].method, m.code)
	lf, lt, ok := c.srv.lastOf(k, c.bound, full)
	e.Kind, e.Status = exchange.Matched, m.code
	e.Resp = exchange.MsgRef{Frame: lf, Index: m.index}
	if c.cut.RespOpen && k == len(c.srv.msgs)-1 && !c.ownVerdict(k, full) {
		ok = false
	}
	e.RespFirstFrame, e.RespFirst, e.RespLast, e.RespLastUnknown = m.frame, m.t, lt, !ok
	e.RespBody, e.RespWire = m.body, c.srv.wire(k, c.bound, ok)
	for j := k - 1; j >= 0 && isInterim(c.srv.msgs[j].code); j-- {
		e.Interim++
	}
	c.flag(t, &e, amb)
	t.Reconstructed++
	return c.sink(&e)
}

// noteHeadStall sets headStall when request q is a HEAD answered by m
// with a nonzero Content-Length after the next request was sent.
func (c *seqConn) noteHeadStall(q int, m *seqMsg) {
	if c.cli.msgs[q].method == "HEAD" && m.body.Known && m.body.N > 0 &&
		q+1 < len(c.cli.msgs) && c.cli.msgs[q+1].frame < m.frame {
		c.headStall = true
	}
}

// ownVerdict says whether the reconciliation's own verdict on the
// server's k-th (last) message stands over pass 1's RespOpen: when
// tshark's stall on a HEAD explains RespOpen, and the verdict rests on
// something (a Content-Length the message's bytes reach, or the server's
// FIN ending a body delimited by the close). Otherwise pass 1, which read
// the body as its receiver would, knows better than the reconciliation's
// Content-Length check, blind to the real header length (minHead).
func (c *seqConn) ownVerdict(k int, full bool) bool {
	if !c.headStall {
		return false
	}
	m := &c.srv.msgs[k]
	atFIN := c.srv.fin >= 0 && c.srv.end(k, c.bound) == c.srv.fin
	return (full && m.body.Known) || atFIN
}

// orphan reports the server's k-th message, whose request the capture
// lacks.
func (c *seqConn) orphan(k int) error { return c.orphanAs(nil, k, "") }

// orphanAs is orphan, flagged amb (counted in t).
func (c *seqConn) orphanAs(t *Tally, k int, amb string) error {
	m := c.srv.msgs[k]
	c.orphans++
	if m.seq < c.cut.RespFrom {
		return nil
	}
	bound := max(c.bound, m.seq+1)
	lf, lt, ok := c.srv.lastOf(k, bound, false)
	e := exchange.Exchange{
		Kind: exchange.Orphan, Protocol: exchange.HTTP1, Stream: c.id, Client: c.client, Server: c.server, Status: m.code,
		Resp: exchange.MsgRef{Frame: lf, Index: m.index}, RespFirstFrame: m.frame, RespFirst: m.t, RespLast: lt,
		RespLastUnknown: !ok, Reconstructed: true,
		RespBody: m.body, RespWire: c.srv.wire(k, bound, ok),
	}
	if t != nil {
		c.flag(t, &e, amb)
	}
	return c.sink(&e)
}
