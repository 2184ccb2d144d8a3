package httplat

import (
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net/netip"
	"slices"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http2"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// h2Result is what an HTTP/2 pass (whole or split) found: its stats in
// the file's numbering and the connections that upgraded to h2c.
type h2Result struct {
	stats    http2.Stats
	upgraded map[[2]netip.AddrPort]bool
	check    *http2.Checker // nil without --crosscheck
}

// h2Shard is one flow shard's HTTP/2 tshark: its pairer sees the shard's
// packets renumbered to the file's frames and connections (the splitter
// keeps each TCP connection, and so each TLS session and its keys, in one
// shard), and its exchanges wait in a spill until every shard has
// succeeded, so that an abandoned split leaves nothing counted.
type h2Shard struct {
	id    int
	out   *shard.Out
	spill *spill[record]
	cur   int64
	seq   int64
	res   h2Result
}

// dissectH2Split is the HTTP/2 pass over k flow shards, opt.Jobs at a
// time, emitting in the order one tshark would; errFallback when the file
// cannot be split.
func (f *fileRun) dissectH2Split(ctx context.Context, k int) (h2Result, error) {
	shards := make([]*h2Shard, k)
	defer func() {
		for _, s := range shards {
			if s != nil && s.spill != nil {
				s.spill.remove()
			}
		}
	}()
	for id := range shards {
		sp, err := newSpill[record]()
		if err != nil {
			return h2Result{}, err
		}
		shards[id] = &h2Shard{id: id, spill: sp}
	}
	_, err := shard.Run(ctx, shard.Plan{File: f.file, K: k, Jobs: f.opt.Jobs, Pipe: shard.GrowPipe,
		Shard: func(ctx context.Context, id int, stdin io.Reader, out *shard.Out) error {
			s := shards[id]
			s.out = out
			return f.h2ShardRun(ctx, s, stdin)
		}})
	if errors.Is(err, shard.ErrUnsupported) {
		return h2Result{}, fmt.Errorf("%w: %w", errFallback, err)
	}
	if err != nil {
		return h2Result{}, err
	}
	if err := f.mergeH2(shards); err != nil {
		return h2Result{}, err
	}
	all := h2Result{upgraded: map[[2]netip.AddrPort]bool{}, check: f.newChecker()}
	for _, s := range shards {
		if all.check != nil {
			all.check.Merge(s.res.check)
		}
		addStats(&all.stats, &s.res.stats)
		for c := range s.res.upgraded {
			all.upgraded[c] = true
		}
	}
	slices.SortFunc(all.stats.Undecrypted, func(a, b http2.TLSConn) int { return int(a.Frame - b.Frame) })
	return all, nil
}

// h2ShardRun pairs one shard's streams, read from stdin.
func (f *fileRun) h2ShardRun(ctx context.Context, s *h2Shard, stdin io.Reader) error {
	s.res.check = f.newChecker()
	pr := http2.NewPairer(checkedSink(s.res.check, func(e *exchange.Exchange) error {
		rec := record{Frame: s.cur, Stream: e.Stream, Seq: s.seq, Ex: *e}
		s.seq++
		return s.spill.add(&rec)
	}))
	spec := h2Spec("-", &f.opt)
	spec.Stdin = stdin
	conns := map[int64][2]netip.AddrPort{}
	_, err := dissect.RunLenient(ctx, f.bin, spec, http2.ToPacket, func(pk *http2.Packet) error {
		if err := s.renumber(pk); err != nil {
			return err
		}
		s.cur = pk.Frame
		if s.res.check != nil {
			s.res.check.Add(pk)
		}
		if pk.H1Code == 101 && pk.Conn >= 0 {
			conns[pk.Conn] = [2]netip.AddrPort{pk.Dst, pk.Src}
		}
		return pr.Add(pk)
	}, f.skips)
	if err != nil {
		return err
	}
	s.cur = math.MaxInt64
	if s.res.stats, err = pr.Flush(); err != nil {
		return err
	}
	s.res.upgraded = upgradedPairs(s.res.stats.Upgraded, conns)
	return nil
}

// renumber puts a shard's packet in the file's frame and connection
// numbering, checking that tshark numbered the connection as the
// splitter did.
func (s *h2Shard) renumber(pk *http2.Packet) error {
	frame, ok := s.out.Frame(pk.Frame)
	if !ok {
		return fmt.Errorf("shard %d: frame %d was never sent", s.id, pk.Frame)
	}
	pk.Frame = frame
	if pk.FirstSegment > 0 {
		pk.FirstSegment, _ = s.out.Frame(pk.FirstSegment)
	}
	if pk.Conn < 0 {
		return nil
	}
	fl, ok := s.out.Flow(pk.Conn)
	if !ok || !((fl.A == pk.Src && fl.B == pk.Dst) || (fl.A == pk.Dst && fl.B == pk.Src)) {
		return fmt.Errorf("%w: %w (HTTP/2 shard %d, stream %d)", errFallback, errMismatch, s.id, pk.Conn)
	}
	pk.Conn = fl.Global
	return nil
}

// mergeH2 emits the shards' spilled exchanges in single-run order.
func (f *fileRun) mergeH2(shards []*h2Shard) error {
	h := &recHeap{}
	for _, s := range shards {
		dec, err := s.spill.reader()
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
		if err := f.emitH2(&ex); err != nil {
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

// upgradedPairs names the h2c-upgraded connections by their ends.
func upgradedPairs(ids []int64, conns map[int64][2]netip.AddrPort) map[[2]netip.AddrPort]bool {
	up := map[[2]netip.AddrPort]bool{}
	for _, c := range ids {
		if cs, ok := conns[c]; ok {
			up[cs] = true
		}
	}
	return up
}

// addStats adds one shard's counts to a file's.
func addStats(a, b *http2.Stats) {
	a.Conns += b.Conns
	a.Streams += b.Streams
	a.Pushes += b.Pushes
	a.GoAways += b.GoAways
	a.Trailers += b.Trailers
	a.Continuation += b.Continuation
	a.Upgraded = append(a.Upgraded, b.Upgraded...)
	a.Undecrypted = append(a.Undecrypted, b.Undecrypted...)
	a.Blind = append(a.Blind, b.Blind...)
	a.Resets = addCounts(a.Resets, b.Resets)
	a.SNI = addCounts(a.SNI, b.SNI)
	a.ConnsByServer = addCounts(a.ConnsByServer, b.ConnsByServer)
	a.TLSConns = addCounts(a.TLSConns, b.TLSConns)
	a.TLSDecrypted = addCounts(a.TLSDecrypted, b.TLSDecrypted)
}

func addCounts[K comparable](a, b map[K]int) map[K]int {
	if a == nil {
		a = map[K]int{}
	}
	for k, n := range b {
		a[k] += n
	}
	return a
}

// h2Spec is the HTTP/2 pass' tshark command for file ("-": stdin).
func h2Spec(file string, opt *Options) tshark.Spec {
	spec := http2.Spec(file, opt.keylog.Path(), h2Ports(opt))
	if sf := tshark.ServerFilter(opt.Server, opt.Port); sf != "" {
		spec.DisplayFilter = "(" + spec.DisplayFilter + ") && (" + sf + ")"
	}
	return spec
}
