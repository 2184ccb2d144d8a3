package tcpconn

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync/atomic"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// ShardPackets bounds, roughly, how many packets one tshark holds (its
// memory grows ~0.65 kB per packet): a larger capture is split by
// connection into shards of about this many packets. Below
// shard.MaxPackets because a 2M-packet capture in three shards of ~670k
// peaked at 836 MB against 652 MB for one tshark over 500k (1.25-1.28x,
// issue 13 bounds it at 1.25x); four of ~500k peak at 668 MB (1.02x),
// walls unchanged at 1M and 2M packets.
const ShardPackets = 650_000

// minShardPackets is the fewest estimated packets worth a shard of their
// own (below it a tshark more costs more than it saves); tests set it to
// 0 to split small captures into --jobs shards.
var minShardPackets int64 = shard.MinPackets

// forceShards (tests only), when above 0, is the number of shards
// whatever the capture's size: at --jobs 1, shards read one after
// another, as on a large capture.
var forceShards int

// errFallback says the split could not be trusted (tshark numbered a
// shard's connections otherwise than the splitter, as with tunnels) or
// done; the file is dissected by one tshark, which is always right.
var errFallback = errors.New("split by connection not possible")

// splits counts the runs dissected split (tests check that a split was
// not quietly a fallback).
var splits atomic.Int64

// dissectFile measures opt.File through the splitter, in one shard or
// split by connection into shards dissected opt.Jobs at a time when the
// capture is large or --jobs asks for it, tshark printing only what it
// alone knows (join.go). Every connection is whole in one shard, and
// tshark's analysis flags are per connection, so the figures are those
// of one tshark over the file. A capture the joined rows cannot serve is
// read again with the full rows; one the splitter cannot split, by one
// tshark over the file, which is always right.
func dissectFile(ctx context.Context, bin string, opt Options, c *collector) (bool, error) {
	est, err := shard.EstimatePackets(opt.File)
	if err != nil {
		return dissectOne(ctx, bin, opt, c)
	}
	jobs := max(1, opt.Jobs)
	k := shard.Count(jobs, est, ShardPackets, minShardPackets)
	if forceShards > 0 {
		k = forceShards
	}
	if !opt.full {
		partial, err := dissectJoined(ctx, bin, opt, k, jobs, c)
		switch {
		case err == nil:
			if k > 1 {
				splits.Add(1)
			}
			return partial, nil
		case ctx.Err() != nil:
			return false, err
		case errors.Is(err, shard.ErrUnsupported):
			*c = *newCollector(opt.Gaps)
			return dissectOne(ctx, bin, opt, c)
		default:
			// errNotJoinable, or a row or tshark failure: the full
			// rows then fail as they always did, with the same words
			// (the joined rows number lines otherwise).
			if opt.onFull != nil {
				opt.onFull()
			}
			*c = *newCollector(opt.Gaps)
		}
	}
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

// dissectSplit runs the k shards, jobs per read of the file (shard.Run);
// each shard gathers its connections apart, merged into c once every
// shard succeeded, so that a split abandoned for a fallback leaves
// nothing counted.
func dissectSplit(ctx context.Context, bin string, opt Options, k, jobs int, c *collector) (bool, error) {
	cols := make([]*collector, k)
	for id := range cols {
		cols[id] = newCollector(opt.Gaps)
	}
	partial, err := shard.Run(ctx, shard.Plan{File: opt.File, K: k, Jobs: jobs, Progress: opt.Progress, Packets: opt.Packets,
		Shard: func(ctx context.Context, id int, stdin io.Reader, out *shard.Out) error {
			return dissectShard(ctx, bin, opt, id, stdin, out, cols[id])
		}})
	if errors.Is(err, shard.ErrUnsupported) {
		return false, fmt.Errorf("%w: %w", errFallback, err)
	}
	if err != nil {
		return false, err
	}
	for _, col := range cols {
		c.merge(col)
	}
	return partial, nil
}

// dissectShard reads one shard's tshark, translating its frame and stream
// numbers to the whole file's before the segment is accounted.
func dissectShard(ctx context.Context, bin string, opt Options, id int, stdin io.Reader, out *shard.Out, c *collector) error {
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
