package shard

import (
	"context"
	"errors"
	"io"
	"os"
	"sync"
)

// Plan is one capture dissected split into K flow shards, Jobs at a time:
// the runner every sharded analysis shares (split, pipe each shard to its
// own tshark, wait for all), so that cancellation, pipe closing and error
// precedence are written once.
type Plan struct {
	File string
	K    int
	Jobs int
	// Thin leaves the pure ACKs out of every shard (Out.Thin).
	Thin bool
	// NoFrames keeps no frame maps (Out.NoFrames).
	NoFrames bool
	// Progress, if set, is told the bytes read of all passes together.
	Progress func(done, total int64)
	// Packets, if set, is told how many packets the first pass has read
	// so far (the bar's count beside the bytes).
	Packets func(n int64)
	// Observe, if set, sees every packet of the file once, in file order,
	// on the first pass (for what needs no dissection).
	Observe Observer
	// Shard dissects shard id from stdin (a pcap), translating its numbers
	// through out. It runs on a goroutine of its own, beside the others
	// of its pass; an error cancels the pass. stdin must be read to its
	// end or the function must return.
	Shard func(ctx context.Context, id int, stdin io.Reader, out *Out) error
	// Ranges, when above 0, cuts the file into shards of Ranges
	// consecutive packets instead of by connection (the last shard takes
	// any beyond K×Ranges), for analyses whose rows depend on one packet
	// each; their rows are in file order shard after shard.
	Ranges int64
	// SkipTCP leaves every plain TCP packet out of the shards.
	SkipTCP bool
	// SpreadOther spreads IP traffic that is not plain TCP over the shards
	// by address pair instead of sending it all to shard 0 (other.go), for
	// analyses whose figures add up over shards: tunnels, ICMP errors and
	// frames that are not IP still go to shard 0.
	SpreadOther bool
	// Watch, if set, gives each shard's watcher (Out.Watch).
	Watch func(id int) Watcher
	// WatchFrames, if set, gives each shard's frame watcher
	// (Out.WatchFrames).
	WatchFrames func(id int) FrameWatcher
	// SeparateReads gives each shard of a pass its own read of the file,
	// the reads at once (readers.go): with Ranges, one read feeds the
	// ranges one after another, each range's tshark pacing the read until
	// its last packet, so their tsharks barely overlap.
	SeparateReads bool
	// Pipe, if set, tunes each shard's pipe (its write end) before use.
	Pipe func(w *os.File)
}

// Run dissects p.File by p.Plan: ceil(K/Jobs) reads of the file, each
// feeding up to Jobs shards. Each shard's Out is released (its frame map
// dropped) when its pass succeeded. An error wrapping ErrUnsupported
// means the file cannot be split here: the caller dissects it whole.
// truncated says the file was cut short in the middle of a packet.
func Run(ctx context.Context, p Plan) (truncated bool, err error) {
	size := int64(0)
	if st, err := os.Stat(p.File); err == nil {
		size = st.Size()
	}
	jobs := max(1, p.Jobs)
	passes := int64((p.K + jobs - 1) / jobs)
	var counted int64 // the most packets told to p.Packets
	for first, pass := 0, int64(0); first < p.K; first, pass = first+jobs, pass+1 {
		var progress func(int64)
		if p.Progress != nil {
			done := size * pass
			progress = func(n int64) { p.Progress(done+n, size*passes) }
		}
		m := mode{ranges: p.Ranges, skipTCP: p.SkipTCP, spread: p.SpreadOther}
		if pass == 0 {
			m.observe, m.packets = p.Observe, p.Packets
		}
		if p.SeparateReads && p.Packets != nil {
			// Each pass's furthest read counts, from frame 1 again.
			m.packets = func(n int64) {
				if n > counted {
					counted = n
					p.Packets(n)
				}
			}
		}
		var cut bool
		var err error
		if p.SeparateReads {
			cut, err = p.separate(ctx, first, min(first+jobs, p.K), pass, passes, size, m)
		} else {
			cut, err = p.pass(ctx, first, min(first+jobs, p.K), progress, m)
		}
		if err != nil {
			return false, err
		}
		truncated = truncated || cut
	}
	return truncated, nil
}

// pass dissects shards from..to-1 in one read of the file.
func (p *Plan) pass(ctx context.Context, from, to int, progress func(int64), m mode) (bool, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	outs := map[int]*Out{}
	errs := make([]error, to)
	var pipes []*os.File
	var wg sync.WaitGroup
	closePipes := func() {
		for _, pw := range pipes {
			pw.Close()
		}
		pipes = nil
	}
	// On an early return the pipes close first, so that every shard's
	// tshark sees its end and the goroutines can be waited for.
	defer wg.Wait()
	defer closePipes()
	for id := from; id < to; id++ {
		pr, pw, err := os.Pipe()
		if err != nil {
			return false, err
		}
		pipes = append(pipes, pw)
		if p.Pipe != nil {
			p.Pipe(pw)
		}
		out := &Out{W: pw, Thin: p.Thin, NoFrames: p.NoFrames}
		if p.Watch != nil {
			out.Watch = p.Watch(id)
		}
		if p.WatchFrames != nil {
			out.WatchFrames = p.WatchFrames(id)
		}
		outs[id] = out
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer pr.Close()
			if errs[id] = p.Shard(ctx, id, pr, out); errs[id] != nil {
				cancel()
			}
		}()
	}
	truncated, splitErr := split(ctx, p.File, p.K, outs, progress, m)
	closePipes()
	wg.Wait()
	if errors.Is(splitErr, ErrUnsupported) {
		return false, splitErr
	}
	// A shard's own error says more than the cancellation it caused.
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
	for _, o := range outs {
		o.Release()
	}
	return truncated, nil
}
