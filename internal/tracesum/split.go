package tracesum

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync/atomic"

	"github.com/gopacket/gopacket"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// shardPackets bounds, roughly, how many packets one tshark holds: a
// larger capture is split into shards of about this many packets. As
// tcp's (tcpconn.ShardPackets): three shards of a 2M-packet capture peaked
// at 847 MB against 675 MB at 500k (1.255x), four at 677 MB.
const shardPackets = 650_000

// minShardPackets is the fewest estimated packets worth a shard of their
// own; tests set it to 0 to split small captures into --jobs shards.
var minShardPackets int64 = shard.MinPackets

// errFallback says the split could not be trusted (tshark numbered a
// shard's connections otherwise than the splitter, as with tunnels or
// ICMP errors quoting TCP) or done; one tshark reads the whole file.
var errFallback = errors.New("split by connection not possible")

// shardsRun counts the shards dissected (tests check that a capture was
// split).
var shardsRun atomic.Int64

// runSplit summarises opt.File through the splitter (shard.Run): its
// own read gives the basics, and tshark dissects each shard (one, for a
// small capture) for the rest. Every TCP connection is whole in one
// shard, and the rest is spread by address pair (tunnels, ICMP errors and
// what is not IP in shard 0 in file order), so each frame is dissected as
// in one tshark over the file, and the collected tables add up to the
// same.
func runSplit(ctx context.Context, bin string, opt Options) (*basics, *collector, bool, error) {
	b, cols, partial, err := collectShards(ctx, bin, opt, shardPackets, minShardPackets)
	if err != nil {
		return nil, nil, false, err
	}
	c := cols[0]
	for _, o := range cols[1:] {
		c.merge(o)
	}
	return b, c, partial, nil
}

// collectShards is runSplit before the shards' tables are merged, in
// shards of at most about per packets, and of minPer at least while
// more than the memory bound needs (tests lower both).
func collectShards(ctx context.Context, bin string, opt Options, per, minPer int64) (*basics, []*collector, bool, error) {
	jobs := max(1, opt.Jobs)
	k := 1
	if est, err := shard.EstimatePackets(opt.File); err == nil {
		k = shard.Count(jobs, est, per, minPer)
	}
	b := newBasics()
	cols := make([]*collector, k)
	for id := range cols {
		cols[id] = newCollector()
	}
	partial, err := shard.Run(ctx, shard.Plan{File: opt.File, K: k, Jobs: jobs, NoFrames: true, SpreadOther: true, Progress: opt.Progress, Packets: opt.Packets,
		Observe: func(ci gopacket.CaptureInfo) { b.add(parse.Time(ci.Timestamp.UnixNano()), ci.Length) },
		Shard: func(ctx context.Context, id int, stdin io.Reader, out *shard.Out) error {
			shardsRun.Add(1)
			return dissectShard(ctx, bin, id, k, stdin, out, cols[id])
		}})
	if errors.Is(err, shard.ErrUnsupported) {
		return nil, nil, false, fmt.Errorf("%w: %w", errFallback, err)
	}
	return b, cols, partial, err
}

// dissectShard collects one shard's frames into the shard's own
// collector (so that its TCP streams, numbered by the shard's tshark, are
// disjoint from the other shards'), after checking that tshark sees each
// connection where the splitter put it: a connection of the splitter's in this shard, or, in
// shard 0, one the splitter did not parse (inside a tunnel), which it
// sends there whole. k is the number of shards. A connection tshark finds
// in what the splitter spread by address pair (a tunnel it does not know)
// fails the check too: one tshark reads the file.
func dissectShard(ctx context.Context, bin string, id, k int, stdin io.Reader, out *shard.Out, c *collector) error {
	spec := tshark.Spec{Input: "-", Stdin: stdin, Fields: Fields, Mode: tshark.Columns}
	known := shardFlows{out: out}
	_, err := dissect.Run(ctx, bin, spec, ToFrame, func(f *Frame) error {
		if k > 1 && crossConnection[f.Top] {
			return fmt.Errorf("%w: %s sets up other connections", errFallback, f.Top)
		}
		// A stream is checked at its first frame (one c has not seen);
		// shard 0's are not checked at all.
		if id != 0 && f.Stream >= 0 && !c.streams.has(f.Stream) && !known.has(f) {
			return fmt.Errorf("%w: shard %d, stream %d is not a connection of the splitter's", errFallback, id, f.Stream)
		}
		c.add(f)
		return nil
	})
	return err
}

// crossConnection are the protocols by which tshark dissects one
// connection after what another announced (FTP's data connections, the
// RTP of RTSP, SIP or H.323 calls): split apart, the announced traffic
// would be dissected otherwise, so a split summary meeting one falls
// back to one tshark.
var crossConnection = map[string]bool{
	"ftp": true, "ftp-data": true, "rtsp": true, "sip": true, "sdp": true,
	"h225": true, "h245": true, "skinny": true, "msrp": true, "rtp": true, "rtcp": true,
}

// shardFlows looks up the splitter's connections of one shard by their
// ends, learning them as the splitter registers them (always before
// their first packet reaches tshark). Connections between IPv4 ends are
// keyed by 16 bytes, the rest by their two netip.AddrPorts (64).
type shardFlows struct {
	out   *shard.Out
	n     int64
	ends4 map[[2]uint64]bool
	ends  map[[2]netip.AddrPort]bool
}

// end4 is an IPv4 end as a number, or false.
func end4(e netip.AddrPort) (uint64, bool) {
	if !e.Addr().Is4() {
		return 0, false
	}
	a := e.Addr().As4()
	return uint64(a[0])<<40 | uint64(a[1])<<32 | uint64(a[2])<<24 | uint64(a[3])<<16 | uint64(e.Port()), true
}

func (s *shardFlows) add(a, b netip.AddrPort) {
	x, ok1 := end4(a)
	y, ok2 := end4(b)
	if ok1 && ok2 {
		if s.ends4 == nil {
			s.ends4 = map[[2]uint64]bool{}
		}
		s.ends4[[2]uint64{x, y}] = true
		return
	}
	if s.ends == nil {
		s.ends = map[[2]netip.AddrPort]bool{}
	}
	s.ends[[2]netip.AddrPort{a, b}] = true
}

// known says whether a and b are the ends of a connection in this order.
func (s *shardFlows) known(a, b netip.AddrPort) bool {
	x, ok1 := end4(a)
	y, ok2 := end4(b)
	if ok1 && ok2 {
		return s.ends4[[2]uint64{x, y}]
	}
	return s.ends[[2]netip.AddrPort{a, b}]
}

// has says whether f travels over one of the shard's connections.
func (s *shardFlows) has(f *Frame) bool {
	src, err1 := netip.ParseAddr(f.Src)
	dst, err2 := netip.ParseAddr(f.Dst)
	if err1 != nil || err2 != nil {
		return false
	}
	a, b := netip.AddrPortFrom(src, f.SrcPort), netip.AddrPortFrom(dst, f.DstPort)
	for n := s.out.Flows(); s.n < n; s.n++ {
		fl, _ := s.out.Flow(s.n)
		s.add(fl.A, fl.B)
	}
	return s.known(a, b) || s.known(b, a)
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
	c.convs.merge(&o.convs)
	c.streams.merge(&o.streams)
	c.tcp.Retransmissions += o.tcp.Retransmissions
	c.tcp.LostSegments += o.tcp.LostSegments
	for i := range c.http {
		c.http[i] += o.http[i]
		c.echo[i] += o.echo[i]
	}
}
