package tracesum

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"

	"github.com/gopacket/gopacket"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// ShardPackets bounds, roughly, how many packets one tshark holds (its
// memory grows ~0.65 kB per packet): a larger capture is split by TCP
// connection into shards of about this many packets.
const ShardPackets = 1_000_000

// minShardPackets is the fewest estimated packets worth a shard of their
// own (a tshark costs ~0.3 s and ~160 MB to start); tests set it to 0 to
// split small captures into --jobs shards.
var minShardPackets int64 = 100_000

// errFallback says the split could not be trusted (tshark numbered a
// shard's connections otherwise than the splitter, as with tunnels or
// ICMP errors quoting TCP) or done; one tshark reads the whole file.
var errFallback = errors.New("split by connection not possible")

// runSplit summarises opt.File through the splitter (shard.Run): its
// own read gives the basics, and tshark dissects each shard (one, for a
// small capture) for the rest. Every TCP connection is whole in one shard
// and everything else is in shard 0 in file order, so each frame is
// dissected as in one tshark over the file, and the collected tables add
// up to the same.
func runSplit(ctx context.Context, bin string, opt Options) (*basics, *collector, bool, error) {
	jobs := max(1, opt.Jobs)
	k := 1
	if est, err := shard.EstimatePackets(opt.File); err == nil {
		k = shard.Count(jobs, est, ShardPackets, minShardPackets)
	}
	b := newBasics()
	cols := make([]*collector, k)
	for id := range cols {
		cols[id] = newCollector()
	}
	partial, err := shard.Run(ctx, shard.Plan{File: opt.File, K: k, Jobs: jobs, NoFrames: true, Progress: opt.Progress,
		Observe: func(ci gopacket.CaptureInfo) { b.add(parse.Time(ci.Timestamp.UnixNano()), ci.Length) },
		Shard: func(ctx context.Context, id int, stdin io.Reader, out *shard.Out) error {
			return dissectShard(ctx, bin, id, stdin, out, cols[id])
		}})
	if errors.Is(err, shard.ErrUnsupported) {
		return nil, nil, false, fmt.Errorf("%w: %w", errFallback, err)
	}
	if err != nil {
		return nil, nil, false, err
	}
	c := cols[0]
	for _, o := range cols[1:] {
		c.merge(o)
	}
	return b, c, partial, nil
}

// dissectShard collects one shard's frames, its TCP streams renumbered to
// the file's (so that the shards' tables are disjoint), after checking
// that tshark sees each connection where the splitter put it.
func dissectShard(ctx context.Context, bin string, id int, stdin io.Reader, out *shard.Out, c *collector) error {
	spec := tshark.Spec{Input: "-", Stdin: stdin, Fields: Fields, Mode: tshark.Columns}
	checked := map[int64]bool{}
	_, err := dissect.Run(ctx, bin, spec, ToFrame, func(f *Frame) error {
		if f.Stream >= 0 {
			fl, ok := out.Flow(f.Stream)
			if !ok || (!checked[f.Stream] && !sameFlow(fl, f)) {
				return fmt.Errorf("%w: shard %d, stream %d numbered otherwise than the splitter's", errFallback, id, f.Stream)
			}
			checked[f.Stream] = true
			f.Stream = fl.Global
		}
		c.add(f)
		return nil
	})
	return err
}

// sameFlow says whether f travels between fl's two ends.
func sameFlow(fl shard.Flow, f *Frame) bool {
	src, err1 := netip.ParseAddr(f.Src)
	dst, err2 := netip.ParseAddr(f.Dst)
	if err1 != nil || err2 != nil {
		return false
	}
	a, b := netip.AddrPortFrom(src, f.SrcPort), netip.AddrPortFrom(dst, f.DstPort)
	return (fl.A == a && fl.B == b) || (fl.A == b && fl.B == a)
}

// merge adds another shard's tables to c; their streams are disjoint.
func (c *collector) merge(o *collector) {
	for k, p := range o.protos {
		q := c.protos[k]
		if q == nil {
			q = &Share{Protocol: k}
			c.protos[k] = q
		}
		q.Packets += p.Packets
		q.Bytes += p.Bytes
	}
	for k, v := range o.convs {
		w := c.convs[k]
		if w == nil {
			c.convs[k] = v
			continue
		}
		w.Packets += v.Packets
		w.Bytes += v.Bytes
		w.AtoB += v.AtoB
		w.BtoA += v.BtoA
	}
	for k := range o.streams {
		c.streams[k] = true
	}
	for k, h := range o.hss {
		c.hss[k] = h
	}
	c.tcp.Retransmissions += o.tcp.Retransmissions
	c.tcp.LostSegments += o.tcp.LostSegments
	for i := range c.http {
		c.http[i] += o.http[i]
		c.echo[i] += o.echo[i]
	}
}
