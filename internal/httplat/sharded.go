package httplat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/parse"
)

// errFallback says the sharded run could not be trusted or done; the file
// is dissected by one tshark instead, which is always correct.
var errFallback = errors.New("flow sharding not possible")

// ShardPackets bounds, roughly, how many packets one tshark process holds
// (~0.65 GB at tshark's ~0.65 kB per packet): the shard count is the
// estimated packet count (shard.EstimatePackets) over this.
const ShardPackets = 1_000_000

// MinShardPackets is the fewest estimated packets worth a shard of their
// own: each tshark costs ~0.3 s to start and ~160 MB, so below this a
// shard more is slower and heavier, and `-j 32` on a capture of a few
// hundred packets runs one tshark, not 32.
const MinShardPackets = 100_000

// minShardPackets is MinShardPackets, a variable so that tests can force
// a split of a small capture into --jobs shards (0).
var minShardPackets int64 = MinShardPackets

// shardCount sizes the split to the work: as many shards as the memory
// bound needs (shardPackets each at most), and more only up to jobs and
// only while each keeps minShardPackets.
func shardCount(jobs int, est, shardPackets int64) int {
	return shard.Count(jobs, est, shardPackets, minShardPackets)
}

// splitRun is one file dissected as k flow shards, opt.Jobs tsharks at a
// time, from one read of the file (oneread.go). Exchanges go to f: at once
// when nothing downstream depends on their order, else spilled per shard
// and merged back into the order a single run would emit them (merge.go).
type splitRun struct {
	f    *fileRun
	k    int
	size int64
	runs []*shardRun
	// ordered is set when a per-exchange sink (CSV) sees the order of
	// exchanges; the aggregate figures put samples in a canonical order
	// themselves, and the aggregator and cross-check take concurrent adds.
	ordered bool
}

// runSplit dissects f's file split by connection and returns the stalled
// connections in the original numbering. errFallback (wrapped) means
// nothing was emitted and the file should be dissected the ordinary way.
// est and estErr are shard.EstimatePackets of the file.
func runSplit(ctx context.Context, f *fileRun, est int64, estErr error) (stalled, error) {
	st, err := os.Stat(f.file)
	if err != nil {
		return nil, err
	}
	if estErr != nil {
		return nil, fmt.Errorf("%w: %w", errFallback, estErr)
	}
	k := shardCount(f.opt.Jobs, est, f.opt.shardPackets)
	if k > 1 {
		// No more shards than connections: a shard without one is a
		// tshark started for nothing (one connection is never split, so
		// more shards would not bound memory either).
		if n, err := shard.Flows(ctx, f.file, k); err == nil {
			k = max(1, n)
		}
	}
	s := &splitRun{f: f, k: k, size: st.Size(), runs: make([]*shardRun, k), ordered: f.opt.OnExchange != nil}
	defer s.removeSpills()
	if err := s.dissectAll(ctx); err != nil {
		return nil, err
	}
	// Everything dissected: emit in single-run order, merging the shards'
	// spill files, each already in that order.
	if err := s.merge(); err != nil {
		return nil, err
	}
	out := stalled{}
	for _, r := range s.runs {
		f.into.addTally(r.tally.counts)
		out.merge(r.tally.stalled)
		f.addGappy(r.tally.gappy)
	}
	return out, nil
}

func (s *splitRun) removeSpills() {
	for _, r := range s.runs {
		if r != nil && r.spill != nil {
			r.spill.remove()
		}
	}
}

// newShard makes shard id's run, its output going to w.
func (s *splitRun) newShard(id int, w io.Writer) (*shardRun, error) {
	r := &shardRun{id: id, out: &shard.Out{W: w, Thin: !s.f.opt.whole, Heads: true}, f: s.f}
	if s.ordered {
		var err error
		if r.spill, err = newSpill[record](); err != nil {
			return nil, err
		}
	}
	r.pairers = newPairers(&s.f.opt, true, r.sinkFor)
	return r, nil
}

// shardRun is one shard's tshark and pairers.
type shardRun struct {
	id      int
	out     *shard.Out
	f       *fileRun // where exchanges go when they need no ordering
	pairers *pairers
	spill   *spill[record] // where they wait otherwise
	cur     int64          // original frame being processed; -1 while flushing
	seq     int64
	err     error
	// tally is the shard's, once its pass is over; its stalled connections
	// in the original numbering.
	tally passTally
}

// errMismatch: tshark numbered a shard's connections differently from the
// splitter's model of its numbering, so global tcp.stream values would be
// wrong.
var errMismatch = errors.New("tcp.stream numbering differs from the splitter's")

// dissect runs the shard's tshark on stdin. onFrame, if set, is told the
// shard frame number of every 1024th row. tshark prints only what it
// alone knows (http1.JoinFields); each row is joined to the header the
// splitter read of its packet.
func (r *shardRun) dissect(ctx context.Context, stdin io.Reader, onFrame func(int64)) error {
	spec := httpSpec("-", &r.f.opt, true, nil)
	spec.Fields = http1.JoinFields
	spec.Stdin = stdin
	rows := 0
	_, err := dissect.RunLenient(ctx, r.f.bin, spec, http1.ToJoinedPacket, func(pk *http1.Packet) error {
		if rows++; onFrame != nil && rows&0x3ff == 0 {
			onFrame(pk.Frame)
		}
		if err := r.join(pk); err != nil {
			return err
		}
		orig, ok := r.out.Frame(pk.Frame)
		if !ok {
			return fmt.Errorf("shard %d: frame %d was never sent", r.id, pk.Frame)
		}
		r.cur = orig
		return r.pairers.add(pk)
	}, r.f.skips)
	if err != nil {
		return err
	}
	r.cur = -1
	r.tally, err = r.pairers.flush()
	return err
}

// join adds to a row the header the splitter read of its packet. A row
// the splitter kept no header for, or whose connection tshark numbered
// otherwise (a tunnel the splitter sees as one packet of another
// protocol, a port reuse modelled differently), makes the split
// untrustworthy: the file goes to one tshark, which prints every column.
func (r *shardRun) join(pk *http1.Packet) error {
	h, ok := r.out.Header(pk.Frame)
	stream := int64(-1)
	if pk.HasStream {
		stream = pk.Stream
	}
	if !ok || h.Stream != stream {
		return fmt.Errorf("%w: %w (shard %d, stream %d)", errFallback, errMismatch, r.id, stream)
	}
	pk.Join(&http1.Header{Time: parse.Time(h.Time), Src: h.Src, Dst: h.Dst, Seq: h.Seq, Ack: h.Ack, Flags: h.Flags})
	return nil
}

// sinkFor is where the shard's pairer of pairing mode hands exchanges.
func (r *shardRun) sinkFor(mode http1.Pairing) exchange.Sink {
	return func(e *exchange.Exchange) error { return r.record(mode, e) }
}

// record takes one exchange in shard numbering: to the file at once, or
// into the spill with the key that orders it as a single run would.
func (r *shardRun) record(mode http1.Pairing, e *exchange.Exchange) error {
	ex := *e
	r.translate(&ex)
	if r.spill == nil {
		return r.f.emit(mode, &ex)
	}
	rec := record{Frame: r.cur, Stream: ex.Stream, Seq: r.seq, Mode: mode, Ex: ex}
	if r.cur < 0 {
		rec.Frame = math.MaxInt64
	}
	r.seq++
	return r.spill.add(&rec)
}

// finishPass translates a finished shard's stalled connections to the
// original numbering and lets go of its frame map, which is what bounds
// pcapmeter's memory to the shards of one pass.
func (r *shardRun) finishPass() {
	local := r.tally.stalled
	r.tally.stalled = stalled{}
	for mode, byStream := range local {
		for id, exs := range byStream {
			fl, _ := r.out.Flow(id)
			for _, e := range exs {
				r.translate(&e)
				r.tally.stalled.add(mode, fl.Global, e)
			}
		}
	}
	gappy := r.tally.gappy
	r.tally.gappy = map[int64]http1.Cut{}
	for id, c := range gappy {
		fl, _ := r.out.Flow(id)
		r.tally.gappy[fl.Global] = c
	}
	r.out.Release()
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
