package http1

import "github.com/pcapmeter/pcapmeter/internal/exchange"

// Cut says what pass 1 already emitted on a connection left to
// reconciliation: every request beginning before ReqFrom and every response
// beginning before RespFrom (positions in their byte streams, as tcp.seq
// counts them; a message's i-th follower in the same segment counts as its
// start + i). The reconciliation reports only messages from there on.
type Cut struct {
	ReqFrom, RespFrom int64
	// RespOpen: the connection had no hole, yet tshark, reassembling,
	// never completed the server's last message; its last byte is not in
	// the capture (a response cut by the capture's end, whatever its
	// framing: Content-Length, chunked or close-delimited).
	RespOpen bool
}

// hold starts withholding a connection's exchanges when a direction gets
// bytes beyond a hole, or the peer acknowledges bytes of it the capture
// lacks (the missing tail of a request shows first in the server's
// acknowledgement of it, before the client sends anything after it), and releases them when retransmissions fill every
// hole (the connection then pairs as usual, in nearly the same order).
func (p *Pairer) hold(st *stream) error {
	if !p.opt.Reconcile {
		return nil
	}
	gapped := st.unparsedReq
	for i := range st.dirs {
		d := &st.dirs[i]
		gapped = gapped || len(d.held) > 0 || d.ackedBeyond()
	}
	switch {
	case gapped && !st.holding:
		st.holding = true
		st.cut = cutOf(st)
	case !gapped && st.holding:
		st.holding, st.heldEst, st.heldAmb = false, 0, 0
		held := st.heldEx
		st.heldEx = nil
		for i := range held {
			if err := p.sink(&held[i]); err != nil {
				return err
			}
		}
	}
	return nil
}

// cutOf is what has been emitted on st so far.
func cutOf(st *stream) Cut {
	c := Cut{ReqFrom: st.lastReq + 1, RespFrom: st.lastResp + 1}
	if len(st.pending) > 0 {
		c.ReqFrom = st.pending[0].seq
	}
	return c
}

// emit hands an exchange on, or withholds it while st is held.
func (p *Pairer) emit(st *stream, e *exchange.Exchange) error {
	if st.holding {
		st.heldEx = append(st.heldEx, *e)
		return nil
	}
	return p.sink(e)
}

// reconcileLater decides, as st retires, whether it is left to
// reconciliation (done): bytes beyond a hole never filled, or a response
// begun after the last parsed one that never completed. Its withheld
// exchanges and unanswered requests are dropped then (the reconciliation
// reports them); otherwise the withheld ones are emitted now.
func (p *Pairer) reconcileLater(id int64, st *stream) (bool, error) {
	if !st.holding && len(st.pending) > 0 && st.known && p.beganAfter(st, &st.pending[0].ex) {
		st.holding, st.cut = true, cutOf(st)
		st.cut.RespOpen = true
	}
	if st.holding {
		if p.t.Gappy == nil {
			p.t.Gappy = map[int64]Cut{}
		}
		p.t.Gappy[id] = st.cut
		p.t.Estimated -= st.heldEst
		p.t.Ambiguous -= st.heldAmb
		return true, nil
	}
	return false, nil
}

// beganAfter reports whether server payload no parsed message accounts
// for followed ex's request (see markIncomplete), without marking it.
func (p *Pairer) beganAfter(st *stream, ex *exchange.Exchange) bool {
	d := &st.dirs[0]
	if st.server != st.a {
		d = &st.dirs[1]
	}
	for _, s := range d.segs {
		if s.frame > ex.Req.Frame && s.seq >= d.mark {
			return true
		}
	}
	return false
}
