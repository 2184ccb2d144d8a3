package httplat

import (
	"context"
	"slices"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
)

// pass2 re-reads, with out-of-order reassembly off, the connections where
// a gap the capture never filled stalled out-of-order reassembly in pass 1
// (tshark then waits forever for the missing bytes and reports nothing
// after them), and reports what pass 1 withheld or never saw.
func (f *fileRun) pass2(ctx context.Context, st stalled) error {
	ids := st.streams()
	if len(ids) == 0 {
		return nil
	}
	resumes := map[http1.Pairing]*resumed{}
	for _, m := range f.opt.modes() {
		resumes[m] = newResumed(f, m, st[m])
	}
	ps := newPairers(&f.opt, false, func(m http1.Pairing) exchange.Sink { return resumes[m].take })
	if err := f.dissectStreams(ctx, httpSpec(f.file, &f.opt, false, nil), ids, ps.add); err != nil {
		return err
	}
	if _, err := ps.flush(); err != nil {
		return err
	}
	for _, m := range f.opt.modes() {
		if err := resumes[m].rest(); err != nil {
			return err
		}
	}
	f.rep.warn("%s: %d connection(s) have a gap the capture never fills; they were re-read without out-of-order reassembly", f.file, len(ids))
	return nil
}

// resumed is pass 2 for one pairing: it lets through the exchanges pass 1
// did not report, and nothing twice.
type resumed struct {
	f    *fileRun
	mode http1.Pairing
	// withheld are pass 1's withheld requests, until pass 2 answers them.
	withheld map[exchange.MsgRef]exchange.Exchange
	// stalledAt is, per stalled connection, the frame of its first
	// withheld request.
	stalledAt map[int64]int64
}

func newResumed(f *fileRun, mode http1.Pairing, byStream map[int64][]exchange.Exchange) *resumed {
	r := &resumed{f: f, mode: mode, withheld: map[exchange.MsgRef]exchange.Exchange{}, stalledAt: map[int64]int64{}}
	for id, exs := range byStream {
		r.stalledAt[id] = exs[0].Req.Frame
		for _, e := range exs {
			r.withheld[e.Req] = e
		}
	}
	return r
}

// take is pass 2's sink for the pairing.
func (r *resumed) take(e *exchange.Exchange) error {
	if e.Kind == exchange.Orphan {
		// Responses after the stall were never reported in pass 1.
		if f, ok := r.stalledAt[e.Stream]; ok && e.Resp.Frame > f {
			return r.f.emit(r.mode, e)
		}
		return nil
	}
	if _, ok := r.withheld[e.Req]; !ok {
		return nil // already reported by pass 1
	}
	delete(r.withheld, e.Req)
	return r.f.emit(r.mode, e)
}

// rest reports the withheld requests pass 2 did not answer either, in
// request order.
func (r *resumed) rest() error {
	left := make([]exchange.Exchange, 0, len(r.withheld))
	for _, e := range r.withheld {
		left = append(left, e)
	}
	slices.SortFunc(left, func(a, b exchange.Exchange) int {
		if a.Req.Frame != b.Req.Frame {
			return int(a.Req.Frame - b.Req.Frame)
		}
		return a.Req.Index - b.Req.Index
	})
	for i := range left {
		if err := r.f.emit(r.mode, &left[i]); err != nil {
			return err
		}
	}
	return nil
}
