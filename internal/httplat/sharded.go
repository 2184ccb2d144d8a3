package httplat

import (
	"container/heap"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"os"
	"sync"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/shard"
)

// errFallback says the sharded run could not be trusted or done; the file
// is dissected by one tshark instead, which is always correct.
var errFallback = errors.New("flow sharding not possible")

// ShardPackets bounds, roughly, how many packets one tshark process holds
// (~0.65 GB at tshark's ~0.65 kB per packet): the shard count is the
// estimated packet count (shard.EstimatePackets) over this.
const ShardPackets = 1_000_000

// shardPackets is ShardPackets, a variable so that tests can force many
// shards, and so several passes over the file.
var shardPackets int64 = ShardPackets

// record is one emitted exchange with the key that orders it as a single
// tshark run would emit it: the original frame being processed, or, for
// connections retired at the end, +Inf and the connection's tcp.stream.
type record struct {
	Frame  int64             `json:"f"`
	Stream int64             `json:"s"`
	Seq    int64             `json:"q"`
	Mode   http1.Pairing     `json:"m"`
	Ex     exchange.Exchange `json:"e"`
}

type shardRun struct {
	id      int
	out     *shard.Out
	pairers []*http1.Pairer
	tallies []http1.Tally // the pairers', once the shard is dissected
	spill   *spill[record]
	cur     int64 // original frame being processed; -1 while flushing
	seq     int64
	err     error
	// deferred holds, per mode, the translated gap-stalled requests by
	// global tcp.stream once the shard's pass is over.
	deferred []map[int64][]exchange.Exchange
	// direct, when set, takes exchanges at once (from every shard): nothing
	// downstream depends on their order, so nothing is spilled.
	direct func(http1.Pairing, *exchange.Exchange) error
}

// runSharded dissects file with opt.Jobs tshark processes at a time, each
// fed one flow shard through a pipe, and emits the exchanges in the order
// a single run would. It returns the deferred (gap-stalled) requests per
// mode in original numbering. errFallback (wrapped) means nothing was
// emitted and the caller should dissect the file the ordinary way.
// est and estErr are shard.EstimatePackets of file.
func runSharded(ctx context.Context, bin, file string, opt Options, est int64, estErr error, modes []http1.Pairing,
	emit func(http1.Pairing, *exchange.Exchange) error, agg *aggregator, rep *fileReport) ([]map[int64][]exchange.Exchange, error) {
	st, err := os.Stat(file)
	if err != nil {
		return nil, err
	}
	if estErr != nil {
		return nil, fmt.Errorf("%w: %w", errFallback, estErr)
	}
	k := max(opt.Jobs, int(math.Ceil(float64(est)/float64(shardPackets))))
	runs := make([]*shardRun, k)
	// Only a per-exchange sink (CSV) sees the order of exchanges; the
	// aggregate figures put samples in a canonical order themselves, and
	// the aggregator and crosscheck take concurrent adds.
	var direct func(http1.Pairing, *exchange.Exchange) error
	if opt.OnExchange == nil {
		direct = emit
	}
	defer func() {
		for _, r := range runs {
			if r != nil && r.spill != nil {
				r.spill.remove()
			}
		}
	}()
	done := int64(0)
	total := st.Size() * int64((k+opt.Jobs-1)/opt.Jobs)
	for first := 0; first < k; first += opt.Jobs {
		if err := runPass(ctx, bin, file, opt, modes, runs, first, min(first+opt.Jobs, k), k, rep, direct, func(n int64) {
			if opt.Progress != nil {
				opt.Progress(done+n, total)
			}
		}); err != nil {
			return nil, err
		}
		done += st.Size()
	}
	// Everything dissected: emit in single-run order, merging the shards'
	// spill files, each already in that order.
	if err := merge(runs, emit); err != nil {
		return nil, err
	}
	deferred := make([]map[int64][]exchange.Exchange, len(modes))
	for i := range modes {
		deferred[i] = map[int64][]exchange.Exchange{}
	}
	for _, r := range runs {
		agg.counters(r.tallies[0])
		for i, d := range r.deferred {
			for g, exs := range d {
				deferred[i][g] = append(deferred[i][g], exs...)
			}
		}
	}
	return deferred, nil
}

// finishPass translates a finished shard's gap-stalled requests to the
// original numbering and lets go of its frame map, which is what bounds
// pcapmeter's memory to the shards of one pass.
func (r *shardRun) finishPass() {
	r.deferred = make([]map[int64][]exchange.Exchange, len(r.pairers))
	for i, t := range r.tallies {
		r.deferred[i] = map[int64][]exchange.Exchange{}
		for local, exs := range t.Stalled {
			fl, _ := r.out.Flow(local)
			for _, e := range exs {
				r.translate(&e)
				r.deferred[i][fl.Global] = append(r.deferred[i][fl.Global], e)
			}
		}
		r.tallies[i].Stalled = nil
	}
	r.out.Release()
}

func runPass(ctx context.Context, bin, file string, opt Options, modes []http1.Pairing, runs []*shardRun, from, to, k int, rep *fileReport,
	direct func(http1.Pairing, *exchange.Exchange) error, progress func(int64)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := map[int]*shard.Out{}
	var wg sync.WaitGroup
	defer wg.Wait() // on an early return too: every tshark is reaped
	// OS pipes, not io.Pipe: tshark reads the shard straight from the
	// splitter's writes, with no goroutine copying every byte in between
	// (os/exec's copy of a non-file stdin moves 32 KiB per syscall pair).
	// The read end is closed once tshark has exited, so a tshark that dies
	// early fails the splitter's next write instead of blocking it.
	pipes := map[int]*os.File{}
	defer func() {
		for _, pw := range pipes {
			pw.Close()
		}
	}()
	for id := from; id < to; id++ {
		pr, pw, err := os.Pipe()
		if err != nil {
			return err
		}
		pipes[id] = pw
		growPipe(pw)
		r := &shardRun{id: id, out: &shard.Out{W: pw}, direct: direct}
		if direct == nil {
			sp, err := newSpill[record]("pcapmeter-shard-*.jsonl")
			if err != nil {
				return err
			}
			r.spill = sp
		}
		for _, m := range modes {
			m := m
			p := http1.NewPairer(http1.Options{Mode: m, DeferStalled: true}, func(e *exchange.Exchange) error { return r.record(m, e) })
			r.pairers = append(r.pairers, p)
		}
		runs[id], outs[id] = r, r.out
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer pr.Close()
			r.err = r.dissect(ctx, bin, opt, pr)
			if r.err != nil {
				cancel()
			}
		}()
	}
	truncated, splitErr := shard.Split(ctx, file, k, outs, progress)
	for id, pw := range pipes {
		pw.Close() // tshark sees the end of its shard
		delete(pipes, id)
	}
	wg.Wait()
	if errors.Is(splitErr, shard.ErrUnsupported) {
		return fmt.Errorf("%w: %w", errFallback, splitErr)
	}
	for id := from; id < to; id++ {
		if err := runs[id].err; err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if splitErr != nil {
		return splitErr
	}
	if truncated && from == 0 {
		rep.markPartial(file)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	for id := from; id < to; id++ {
		runs[id].finishPass()
	}
	return nil
}

// errMismatch: tshark numbered a shard's connections differently from the
// splitter's model of its numbering, so global tcp.stream values would be
// wrong.
var errMismatch = errors.New("tcp.stream numbering differs from the splitter's")

func (r *shardRun) dissect(ctx context.Context, bin string, opt Options, stdin io.Reader) error {
	spec := httpSpec("-", opt, true, nil)
	spec.Stdin = stdin
	_, err := dissect.Run(ctx, bin, spec, http1.ToPacket, func(pk *http1.Packet) error {
		if pk.HasStream {
			fl, ok := r.out.Flow(pk.Stream)
			src, dst := netip.AddrPortFrom(pk.Src, pk.SrcPort), netip.AddrPortFrom(pk.Dst, pk.DstPort)
			if !ok || !((fl.A == src && fl.B == dst) || (fl.A == dst && fl.B == src)) {
				return fmt.Errorf("%w: %w (shard %d, stream %d)", errFallback, errMismatch, r.id, pk.Stream)
			}
		}
		orig, ok := r.out.Frame(pk.Frame)
		if !ok {
			return fmt.Errorf("shard %d: frame %d was never sent", r.id, pk.Frame)
		}
		r.cur = orig
		for _, p := range r.pairers {
			if err := p.Add(pk); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	r.cur = -1
	for _, p := range r.pairers {
		t, err := p.Flush()
		if err != nil {
			return err
		}
		r.tallies = append(r.tallies, t)
	}
	return nil
}

// translate rewrites an exchange's shard-local frame and stream numbers to
// the original file's.
func (r *shardRun) translate(e *exchange.Exchange) {
	m := func(f *int64) {
		if *f > 0 {
			*f, _ = r.out.Frame(*f)
		}
	}
	m(&e.Req.Frame)
	m(&e.Resp.Frame)
	m(&e.ReqFirstFrame)
	m(&e.RespFirstFrame)
	if fl, ok := r.out.Flow(e.Stream); ok {
		e.Stream = fl.Global
	}
}

func (r *shardRun) record(m http1.Pairing, e *exchange.Exchange) error {
	ex := *e
	r.translate(&ex)
	if r.direct != nil {
		return r.direct(m, &ex)
	}
	rec := record{Frame: r.cur, Stream: ex.Stream, Seq: r.seq, Mode: m, Ex: ex}
	if r.cur < 0 {
		rec.Frame = math.MaxInt64
	}
	r.seq++
	return r.spill.add(&rec)
}

type head struct {
	rec record
	dec *json.Decoder
}

type recHeap []*head

func (h recHeap) Len() int { return len(h) }
func (h recHeap) Less(i, j int) bool {
	a, b := h[i].rec, h[j].rec
	if a.Frame != b.Frame {
		return a.Frame < b.Frame
	}
	if a.Frame == math.MaxInt64 && a.Stream != b.Stream {
		return a.Stream < b.Stream
	}
	return a.Seq < b.Seq
}
func (h recHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *recHeap) Push(x any)   { *h = append(*h, x.(*head)) }
func (h *recHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func merge(runs []*shardRun, emit func(http1.Pairing, *exchange.Exchange) error) error {
	h := &recHeap{}
	for _, r := range runs {
		if r.spill == nil {
			continue
		}
		dec, err := r.spill.reader()
		if err != nil {
			return err
		}
		var rec record
		if err := dec.Decode(&rec); err == nil {
			heap.Push(h, &head{rec, dec})
		} else if err != io.EOF {
			return err
		}
	}
	for h.Len() > 0 {
		top := (*h)[0]
		ex := top.rec.Ex
		if err := emit(top.rec.Mode, &ex); err != nil {
			return err
		}
		var next record
		if err := top.dec.Decode(&next); err == io.EOF {
			heap.Pop(h)
		} else if err != nil {
			return err
		} else {
			top.rec = next
			heap.Fix(h, 0)
		}
	}
	return nil
}
