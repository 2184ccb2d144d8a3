package tcpconn

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// ShardPackets bounds, roughly, how many packets one tshark holds (its
// memory grows ~0.65 kB per packet): a larger capture is split by
// connection into shards of about this many packets.
const ShardPackets = 1_000_000

// minShardPackets is the fewest estimated packets worth a shard of their
// own (below it a tshark more costs more than it saves); tests set it to
// 0 to split small captures into --jobs shards.
var minShardPackets int64 = 100_000

// errFallback says the split could not be trusted (tshark numbered a
// shard's connections otherwise than the splitter, as with tunnels) or
// done; the file is dissected by one tshark, which is always right.
var errFallback = errors.New("split by connection not possible")

// splits counts the runs dissected split (tests check that a split was
// not quietly a fallback).
var splits atomic.Int64

// dissectFile measures opt.File with one tshark, or split by connection
// into shards dissected opt.Jobs at a time when the capture is large or
// --jobs asks for it. Every connection is whole in one shard, and
// tshark's analysis flags are per connection, so the figures are those
// of one tshark over the file.
func dissectFile(ctx context.Context, bin string, opt Options, c *collector) (bool, error) {
	est, err := shard.EstimatePackets(opt.File)
	if err != nil {
		return dissectOne(ctx, bin, opt, c)
	}
	jobs := max(1, opt.Jobs)
	k := shard.Count(jobs, est, ShardPackets, minShardPackets)
	if k == 1 {
		return dissectOne(ctx, bin, opt, c)
	}
	partial, err := dissectSplit(ctx, bin, opt, k, jobs, c)
	if errors.Is(err, errFallback) && ctx.Err() == nil {
		*c = *newCollector(opt.Gaps)
		return dissectOne(ctx, bin, opt, c)
	}
	if err == nil {
		splits.Add(1)
	}
	return partial, err
}

// dissectSplit runs the k shards, jobs per read of the file.
func dissectSplit(ctx context.Context, bin string, opt Options, k, jobs int, c *collector) (bool, error) {
	st, err := os.Stat(opt.File)
	if err != nil {
		return false, err
	}
	passes := int64((k + jobs - 1) / jobs)
	var partial bool
	for first, pass := 0, int64(0); first < k; first, pass = first+jobs, pass+1 {
		done := st.Size() * pass
		progress := func(n int64) {
			if opt.Progress != nil {
				opt.Progress(done+n, st.Size()*passes)
			}
		}
		cut, err := splitPass(ctx, bin, opt, k, first, min(first+jobs, k), progress, c)
		if err != nil {
			return false, err
		}
		partial = partial || cut
	}
	return partial, nil
}

// splitPass dissects shards from..to-1 in one read of the file; each
// shard gathers its connections apart, merged into c at the end.
func splitPass(ctx context.Context, bin string, opt Options, k, from, to int, progress func(int64), c *collector) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := map[int]*shard.Out{}
	cols := map[int]*collector{}
	errs := make([]error, to)
	pipes := map[int]*os.File{}
	var wg sync.WaitGroup
	defer wg.Wait()
	defer func() {
		for _, pw := range pipes {
			pw.Close()
		}
	}()
	for id := from; id < to; id++ {
		pr, pw, err := os.Pipe()
		if err != nil {
			return false, err
		}
		pipes[id] = pw
		// The goroutine gets its shard's values, not the maps the loop
		// goes on writing.
		out, col := &shard.Out{W: pw}, newCollector(opt.Gaps)
		outs[id], cols[id] = out, col
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer pr.Close()
			if errs[id] = dissectShard(ctx, bin, opt, id, pr, out, col); errs[id] != nil {
				cancel()
			}
		}()
	}
	truncated, splitErr := shard.Split(ctx, opt.File, k, outs, progress)
	for id, pw := range pipes {
		pw.Close()
		delete(pipes, id)
	}
	wg.Wait()
	if errors.Is(splitErr, shard.ErrUnsupported) {
		return false, fmt.Errorf("%w: %w", errFallback, splitErr)
	}
	for id := from; id < to; id++ {
		if err := errs[id]; err != nil && !errors.Is(err, context.Canceled) {
			return false, err
		}
	}
	if splitErr != nil {
		return false, splitErr
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	for id := from; id < to; id++ {
		c.merge(cols[id])
		outs[id].Release()
	}
	return truncated, nil
}

// dissectShard reads one shard's tshark, translating its frame and stream
// numbers to the whole file's before the segment is accounted.
func dissectShard(ctx context.Context, bin string, opt Options, id int, stdin *os.File, out *shard.Out, c *collector) error {
	spec := tshark.Spec{Input: "-", Stdin: stdin, Fields: Fields, Mode: tshark.Columns, DisplayFilter: filter(opt, false), Prefs: opt.prefs}
	_, err := dissect.Run(ctx, bin, spec, ToSegment, func(s *Segment) error {
		fl, ok := out.Flow(s.Stream)
		src, dst := netip.AddrPortFrom(s.Src, s.SrcPort), netip.AddrPortFrom(s.Dst, s.DstPort)
		if !ok || !((fl.A == src && fl.B == dst) || (fl.A == dst && fl.B == src)) {
			return fmt.Errorf("%w: shard %d, stream %d numbered otherwise than the splitter's", errFallback, id, s.Stream)
		}
		frame, ok := out.Frame(s.Frame)
		if !ok {
			return fmt.Errorf("shard %d: frame %d was never sent", id, s.Frame)
		}
		s.Stream, s.Frame = fl.Global, frame
		if opt.HasStream && s.Stream != opt.Stream {
			return nil
		}
		c.add(s)
		return nil
	})
	return err
}
