package httplat

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// fileRun measures one file. It owns where the file's exchanges go: the
// aggregator they count in (into), the cross-check, and the per-exchange
// sink; every pass and every shard hands its exchanges to emit.
type fileRun struct {
	bin  string
	file string
	opt  Options // this file's: Jobs, Progress and OnExchange are its own
	into *aggregator
	cc   *crossState // nil without --crosscheck
	rep  *fileReport
	h2   *h2Run // HTTP/2 pass; see h2pass.go
	sel  *selector
	// splitOK says pass 1 read the file through the splitter: the later
	// passes can then have it send tshark only their connections
	// (subset.go).
	splitOK bool
	// gappy are the connections left to the reconciliation pass, with
	// what pass 1 emitted on each (shared by a split's scratch copy).
	gappy map[int64]http1.Cut
	// skips counts the HTTP rows of every pass whose values could not be
	// read: left out and reported, never the end of the run.
	skips *dissect.Skips
}

// addGappy adds a pass's connections left to reconciliation.
func (f *fileRun) addGappy(g map[int64]http1.Cut) {
	for id, c := range g {
		f.gappy[id] = c
	}
}

// emit takes one complete exchange of pairing mode.
func (f *fileRun) emit(mode http1.Pairing, e *exchange.Exchange) error {
	if f.h2 != nil && f.h2.hold(mode, e) {
		return nil
	}
	// Both pairings see the same requests, so the cross-check compares
	// the selection; only the selected pairing's count as left out.
	if !f.sel.keep(e, mode == f.opt.Pairing) {
		return nil
	}
	if f.cc != nil {
		f.cc.add(f.file, mode, e)
	}
	if mode != f.opt.Pairing {
		return nil
	}
	f.into.add(e)
	if f.opt.Counted != nil {
		f.opt.Counted()
	}
	if f.opt.OnExchange != nil {
		return f.opt.OnExchange(f.file, e)
	}
	return nil
}

// sinkFor is where pairing mode's pairer hands its exchanges in a pass
// that reports them all (pass 1 by one tshark).
func (f *fileRun) sinkFor(mode http1.Pairing) exchange.Sink {
	return func(e *exchange.Exchange) error { return f.emit(mode, e) }
}

func (f *fileRun) run(ctx context.Context) error {
	f.h2 = &h2Run{probe: newProbe(ctx, f.file)}
	defer f.h2.probe.stop()
	f.gappy = map[int64]http1.Cut{}
	f.skips = &dissect.Skips{}
	defer f.reportSkips()
	var err error
	if f.sel, err = f.newSelector(ctx); err != nil {
		return err
	}
	defer func() { f.rep.excluded = int(f.sel.excluded.Load()) }()
	st, err := f.pass1(ctx)
	if err != nil {
		return err
	}
	if err := f.reconcile(ctx); err != nil {
		return err
	}
	if err := f.pass2(ctx, st); err != nil {
		return err
	}
	return f.h2Pass(ctx)
}

// pass1 dissects the file with out-of-order reassembly on, so a response
// whose segment was lost before the capture point and retransmitted is
// still reported. The file is split by connection when asked to run in
// parallel, and also when one tshark would hold too many packets (that
// bounds its memory whatever --jobs says); by one tshark otherwise, or
// when the split is not possible. One tshark still reads the file through
// the splitter, as a single shard, for the plain ACKs it leaves out
// (shard.Out.Thin: ~17% of tshark's time on a keep-alive capture), and
// reads the file itself when the splitter cannot.
func (f *fileRun) pass1(ctx context.Context) (stalled, error) {
	est, estErr := shard.EstimatePackets(f.file)
	if f.opt.Jobs > 1 || (estErr == nil && est > f.opt.shardPackets) {
		st, err := f.split(ctx, est, estErr)
		if !errors.Is(err, errFallback) {
			return st, err
		}
		why := strings.TrimPrefix(err.Error(), errFallback.Error()+": ")
		f.rep.unsplit = append(f.rep.unsplit, fmt.Sprintf("%s: dissected by one tshark, not split by connection (%s)", f.file, why))
	} else if !f.opt.whole {
		st, err := f.split(ctx, est, estErr) // one shard
		if !errors.Is(err, errFallback) {
			return st, err
		}
	}
	// One tshark reads the file itself: the probe reads it beside it.
	f.h2.probe.start()
	return f.whole(ctx, est, estErr)
}

// split dissects the file as flow shards, counting into a scratch
// aggregator that joins f's only once the split has succeeded: a split
// abandoned late (a packet the splitter cannot place, found at the end of
// the file) must leave nothing behind that the single-tshark run would
// count again.
func (f *fileRun) split(ctx context.Context, est int64, estErr error) (stalled, error) {
	scratch := *f
	scratch.into = f.into.scratch()
	scratch.sel = f.sel.fork()
	scratch.skips = &dissect.Skips{}
	st, err := runSplit(ctx, &scratch, est, estErr)
	if err != nil {
		return nil, err
	}
	f.skips.Add(scratch.skips)
	f.splitOK = true
	f.into.merge(scratch.into)
	f.sel.excluded.Add(scratch.sel.excluded.Load())
	return st, nil
}

// whole dissects the file by one tshark. est and estErr are
// shard.EstimatePackets of the file.
func (f *fileRun) whole(ctx context.Context, est int64, estErr error) (stalled, error) {
	var onFrame func(int64)
	if f.opt.Progress != nil && estErr == nil && est > 0 {
		// Without the splitter counting bytes, tshark's frame numbers
		// over the estimated packet count tell how far it has come.
		size := fileSize(f.file)
		onFrame = func(frame int64) {
			f.opt.Progress(min(size, size*frame/est), size)
		}
	}
	ps := newPairers(&f.opt, true, f.sinkFor)
	truncated, pt, err := f.dissect(ctx, httpSpec(f.file, &f.opt, true, nil), ps, onFrame)
	if err != nil {
		return nil, err
	}
	if truncated {
		f.rep.markPartial(f.file)
	}
	f.into.addTally(pt.counts)
	f.addGappy(pt.gappy)
	return pt.stalled, nil
}

// dissect runs tshark once and feeds every row to the pairers, then
// flushes them. It reports whether the capture was cut short. onFrame, if
// set, is told the frame number of every 1024th row.
func (f *fileRun) dissect(ctx context.Context, spec tshark.Spec, ps *pairers, onFrame func(int64)) (bool, passTally, error) {
	rows := 0
	truncated, err := dissect.RunLenient(ctx, f.bin, spec, http1.ToPacket, func(pk *http1.Packet) error {
		if rows++; onFrame != nil && rows&0x3ff == 0 {
			onFrame(pk.Frame)
		}
		return ps.add(pk)
	}, f.skips)
	if err != nil {
		return false, passTally{}, err
	}
	pt, err := ps.flush()
	return truncated, pt, err
}

// httpSpec is the tshark command for the HTTP rows of file ("-": stdin).
// reorder turns tshark's out-of-order reassembly on; streams, if not nil,
// restricts the run to those TCP connections.
func httpSpec(file string, opt *Options, reorder bool, streams []int64) tshark.Spec {
	return httpSpecPrefs(file, opt, streams, reorder, true)
}

// streamFilter restricts filter to the TCP connections ids.
func streamFilter(filter string, ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return "(" + filter + ") && tcp.stream in {" + strings.Join(s, ",") + "}"
}

// httpSpecPrefs is httpSpec with TCP desegmentation on or off.
func httpSpecPrefs(file string, opt *Options, streams []int64, reorder, desegment bool) tshark.Spec {
	ports := slices.Clone(opt.HTTPPorts)
	if opt.Port != 0 && !slices.Contains(ports, opt.Port) {
		ports = append(ports, opt.Port)
	}
	filter := http1.DisplayFilter
	if sf := tshark.ServerFilter(opt.Server, opt.Port); sf != "" {
		filter = "(" + filter + ") && (" + sf + ")"
	}
	if streams != nil {
		filter = streamFilter(filter, streams)
	}
	prefs := []string{"tcp.reassemble_out_of_order:FALSE"}
	if reorder {
		prefs[0] = "tcp.reassemble_out_of_order:TRUE"
	}
	prefs = append(prefs, opt.keylog.Prefs()...)
	if !desegment {
		// Sequence analysis off too: with it on, tshark hands no
		// retransmitted segment to HTTP, and one that fills a hole may
		// hold the only copy of a status line. Numbers come out raw then
		// (http1.SeqPairer makes them relative).
		prefs = append(prefs, "tcp.desegment_tcp_streams:FALSE", "tcp.analyze_sequence_numbers:FALSE")
	}
	return tshark.Spec{
		Input: file, Fields: http1.Fields, Mode: opt.Mode,
		DisplayFilter: filter, HTTPPorts: ports, Prefs: prefs,
	}
}

// reportSkips makes the rows left out a warning and the result partial:
// the figures lack those frames' messages.
func (f *fileRun) reportSkips() {
	if f.skips == nil {
		return
	}
	if n, first := f.skips.Count(); n > 0 {
		f.rep.markCut(fmt.Sprintf("%s: %d row(s) tshark printed could not be read and were left out of the figures (first: %s)", f.file, n, first))
	}
}
