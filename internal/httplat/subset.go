package httplat

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// The passes after pass 1 (reconciliation, pass 2) re-read a few
// connections. Given the whole file with a tcp.stream filter, tshark
// dissects every packet of it to print those few; when pass 1 could split
// the file, the splitter sends tshark only their packets instead (TCP
// analysis and HTTP are per connection, so each one dissects alike), and
// the rows' numbers are translated back before anything sees them.

// dissectStreams runs spec over the file's connections ids (original
// tcp.stream numbers) and hands each of their rows to each, in the
// original numbering. Without a split pass 1 behind it, tshark reads the
// whole file with a filter on ids, as always.
func (f *fileRun) dissectStreams(ctx context.Context, spec tshark.Spec, ids []int64, each func(*http1.Packet) error) error {
	if !f.splitOK {
		spec.DisplayFilter = streamFilter(spec.DisplayFilter, ids)
		_, err := dissect.RunLenient(ctx, f.bin, spec, http1.ToPacket, each, f.skips)
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw, err := os.Pipe()
	if err != nil {
		return err
	}
	defer pr.Close()
	shard.GrowPipe(pw)
	only := map[int64]bool{}
	for _, id := range ids {
		only[id] = true
	}
	o := &shard.Out{W: pw, Only: only}
	splitDone := make(chan error, 1)
	go func() {
		_, err := shard.Split(ctx, f.file, 1, map[int]*shard.Out{0: o}, nil)
		pw.Close() // tshark sees the end of its input
		if err != nil {
			cancel()
		}
		splitDone <- err
	}()
	spec.Input, spec.Stdin = "-", pr
	_, err = dissect.RunLenient(ctx, f.bin, spec, http1.ToPacket, func(pk *http1.Packet) error {
		if err := original(o, pk); err != nil {
			return err
		}
		return each(pk)
	}, f.skips)
	pr.Close() // a tshark gone early fails the splitter's next write
	splitErr := <-splitDone
	if err != nil && !(errors.Is(err, context.Canceled) && splitErr != nil) {
		return err
	}
	return splitErr
}

// original rewrites a row's frame and stream numbers from the subset's to
// the file's, checking that tshark numbered its connections as the
// splitter did.
func original(o *shard.Out, pk *http1.Packet) error {
	frame := func(n *int64) error {
		if *n <= 0 {
			return nil
		}
		orig, ok := o.Frame(*n)
		if !ok {
			return fmt.Errorf("re-read connections: frame %d was never sent", *n)
		}
		*n = orig
		return nil
	}
	if err := frame(&pk.Frame); err != nil {
		return err
	}
	if err := frame(&pk.FirstSegment); err != nil {
		return err
	}
	for i := range pk.RequestIn {
		if err := frame(&pk.RequestIn[i]); err != nil {
			return err
		}
	}
	if !pk.HasStream {
		return nil
	}
	fl, ok := o.Flow(pk.Stream)
	src, dst := netip.AddrPortFrom(pk.Src, pk.SrcPort), netip.AddrPortFrom(pk.Dst, pk.DstPort)
	if !ok || !((fl.A == src && fl.B == dst) || (fl.A == dst && fl.B == src)) {
		return fmt.Errorf("re-read connections: %w (stream %d)", errMismatch, pk.Stream)
	}
	pk.Stream = fl.Global
	return nil
}
