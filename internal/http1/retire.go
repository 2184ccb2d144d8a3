package http1

import (
	"slices"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
)

// flags retires a connection on RST or on the second FIN: nothing more
// can be said on it, so its unanswered requests are final.
func (p *Pairer) flags(pk *Packet, st *stream) error {
	if pk.Flags&parse.FlagRST != 0 {
		return p.retire(pk.Stream, st, "reset")
	}
	if pk.Flags&parse.FlagFIN != 0 && !pk.Retransmission {
		st.fins++
		if st.fins >= 2 {
			return p.retire(pk.Stream, st, "closed")
		}
	}
	return nil
}

// retire ends a connection: its unanswered requests are final, or
// withheld when a capture gap stalled it (Options.DeferStalled). why is
// their reason (exchange.Exchange.Unanswered): "reset", "closed" (both
// sides sent FIN with no answer) or "capture_end".
func (p *Pairer) retire(id int64, st *stream, why string) error {
	delete(p.streams, id)
	if st.known {
		p.t.RetransByServer[st.server] += st.retrans
		p.t.InterimByServer[st.server] += st.loneInterim
	}
	if p.opt.Reconcile {
		if done, err := p.reconcileLater(id, st); done || err != nil {
			return err
		}
	}
	if p.opt.DeferStalled && len(st.pending) > 0 && st.known {
		ex := st.pending[0].ex
		if p.markIncomplete(st, &ex) {
			if p.t.Stalled == nil {
				p.t.Stalled = map[int64][]exchange.Exchange{}
			}
			p.t.Incomplete--
			for _, q := range st.pending {
				ex := q.ex
				ex.Unanswered = why
				p.t.Stalled[id] = append(p.t.Stalled[id], ex)
			}
			return nil
		}
	}
	for i, q := range st.pending {
		ex := q.ex
		if i == 0 && st.known {
			p.markIncomplete(st, &ex)
		}
		ex.Unanswered = why
		if err := p.sink(&ex); err != nil {
			return err
		}
	}
	return nil
}

// markIncomplete notes that the server had started answering the oldest
// unanswered request when the capture (or connection) ended: server
// payload after the request that no parsed message accounts for. Its first
// byte is known, so the report can say "started, never completed" instead
// of just "unanswered".
func (p *Pairer) markIncomplete(st *stream, ex *exchange.Exchange) bool {
	d := &st.dirs[0]
	if st.server != st.a {
		d = &st.dirs[1]
	}
	for _, s := range d.segs {
		if s.frame > ex.Req.Frame && s.seq >= d.mark {
			ex.ResponseIncomplete = true
			ex.RespFirstFrame, ex.RespFirst = s.frame, s.t
			p.t.Incomplete++
			return true
		}
	}
	return false
}

// Flush ends the input: every connection still open is retired, in
// connection order so that output is deterministic. It returns what the
// pairer counted; the pairer is not to be used afterwards.
func (p *Pairer) Flush() (Tally, error) {
	ids := make([]int64, 0, len(p.streams))
	for id := range p.streams {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		if err := p.retire(id, p.streams[id], "capture_end"); err != nil {
			return Tally{}, err
		}
	}
	return p.t, nil
}
