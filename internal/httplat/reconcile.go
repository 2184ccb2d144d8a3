package httplat

import (
	"context"
	"slices"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
)

// reconcile re-reads the connections pass 1 left to reconciliation (a
// hole the capture never fills, in either direction: out-of-order
// reassembly stalls there and reports nothing after it) with TCP
// desegmentation off, where every captured segment that begins a message
// reports it and no gap can stall anything, and places the messages by
// sequence and acknowledgement numbers (http1.SeqPairer). Only FIFO pairing
// is reconciled; tshark's own links stay with pass 2.
func (f *fileRun) reconcile(ctx context.Context) error {
	if len(f.gappy) == 0 {
		return nil
	}
	ids := make([]int64, 0, len(f.gappy))
	for id := range f.gappy {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	sp := http1.NewSeqPairer(f.gappy)
	spec := httpSpecPrefs(f.file, &f.opt, nil, false, false)
	if err := f.dissectStreams(ctx, spec, ids, func(pk *http1.Packet) error {
		sp.Add(pk)
		return nil
	}); err != nil {
		return err
	}
	t, err := sp.Flush(func(e *exchange.Exchange) error { return f.emit(http1.PairTuple, e) })
	if err != nil {
		return err
	}
	if f.opt.Pairing == http1.PairTuple {
		f.into.addTally(t)
	}
	f.rep.warn("%s: %d connection(s) have a gap the capture never fills, or a message tshark never completed or parsed; their exchanges were placed by sequence and acknowledgement numbers (reconstructed)", f.file, len(ids))
	return nil
}
