package httplat

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
)

// dissectAll reads the file once for every shard: the first opt.Jobs
// shards go straight to their tsharks through pipes, the others to
// unnamed temporary files (tmpfile.New: nothing is left behind, whatever
// kills pcapmeter) that their tsharks read as soon as a tshark before them
// is done, opt.Jobs at a time. Reading the file once per opt.Jobs shards
// instead cost a parse of every packet per pass (at 3M packets and --jobs
// 2, the splitter's CPU rose from 3 s to 5-7 s per million packets, on the
// cores the tsharks need), and each pass waited for its slowest shard.
func (s *splitRun) dissectAll(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := min(s.f.opt.Jobs, s.k)
	prog := newSplitProgress(s.f.opt.Progress, s.size, s.k, jobs)
	var wg sync.WaitGroup
	defer wg.Wait() // on an early return too: every tshark is reaped
	slots := make(chan struct{}, jobs)
	// Closed on every return; closing one twice is harmless.
	var files []*os.File
	defer func() {
		for _, f := range files {
			f.Close()
		}
	}()
	outs := map[int]*shard.Out{}
	var pipes, temps []*os.File
	for id := 0; id < s.k; id++ {
		// OS pipes, not io.Pipe: tshark reads the shard straight from the
		// splitter's writes, with no goroutine copying every byte in
		// between (os/exec's copy of a non-file stdin moves 32 KiB per
		// syscall pair).
		var in, out *os.File
		var err error
		if id < jobs {
			if in, out, err = os.Pipe(); err == nil {
				shard.GrowPipe(out)
				pipes = append(pipes, out)
			}
		} else if out, err = tmpfile.New(""); err == nil {
			in = out
			temps = append(temps, out)
		}
		if err != nil {
			return err
		}
		files = append(files, in, out)
		r, err := s.newShard(id, out)
		if err != nil {
			return err
		}
		if id >= jobs {
			// Its rows come only after the read: its packets' headers
			// wait on disk too, not in memory (shard.Out.HeadFile).
			hf, err := tmpfile.New("")
			if err != nil {
				return err
			}
			files = append(files, hf)
			r.out.HeadFile = hf
		}
		s.runs[id], outs[id] = r, r.out
		if id < jobs {
			slots <- struct{}{}
			s.launch(ctx, cancel, &wg, slots, r, in, nil)
		}
	}
	var pr shard.Probe
	truncated, splitErr := shard.SplitProbing(ctx, s.f.file, s.k, outs, prog.read, &pr)
	if splitErr == nil {
		// The whole file read: the HTTP/2 pass need not read it again
		// to know whether it has anything to find.
		if s.f.h2 != nil {
			s.f.h2.probe.set(pr)
		}
	}
	for _, pw := range pipes {
		pw.Close() // tshark sees the end of its shard
	}
	if splitErr == nil {
		splitErr = s.dissectSpilled(ctx, cancel, &wg, slots, temps, prog)
	} else {
		cancel()
	}
	wg.Wait()
	if errors.Is(splitErr, shard.ErrUnsupported) {
		return fmt.Errorf("%w: %w", errFallback, splitErr)
	}
	for _, r := range s.runs {
		if err := r.err; err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	if splitErr != nil {
		return splitErr
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if truncated {
		s.f.rep.markPartial(s.f.file)
	}
	prog.finish()
	return nil
}

// dissectSpilled starts the tsharks of the shards written to temporary
// files, each as soon as a slot is free.
func (s *splitRun) dissectSpilled(ctx context.Context, cancel func(), wg *sync.WaitGroup, slots chan struct{}, temps []*os.File, prog *splitProgress) error {
	for i, tf := range temps {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		if _, err := tf.Seek(0, 0); err != nil {
			<-slots
			return err
		}
		r := s.runs[len(s.runs)-len(temps)+i]
		n := r.out.Packets()
		s.launch(ctx, cancel, wg, slots, r, tf, func(frame int64) { prog.shard(r.id, frame, n) })
	}
	return nil
}

// launch runs shard r's tshark on stdin, in a slot it frees when done; a
// failing tshark cancels the others and the split.
func (s *splitRun) launch(ctx context.Context, cancel func(), wg *sync.WaitGroup, slots chan struct{}, r *shardRun, stdin *os.File, onFrame func(int64)) {
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { <-slots }()
		// Closed once tshark has exited, so a tshark that dies early fails
		// the splitter's next write instead of blocking it.
		defer stdin.Close()
		if r.err = r.dissect(ctx, stdin, onFrame); r.err != nil {
			cancel()
			return
		}
		// Its numbers translated, the shard's frame map can go.
		r.finishPass()
	}()
}

// splitProgress reports a split's progress in bytes of the file: the read
// counts once, and each shard dissected from a temporary file after it
// counts the file's size over opt.Jobs (what a pass over the file used to
// count, per shard it dissected), by the frames its tshark has reached.
type splitProgress struct {
	mu          sync.Mutex
	report      func(done, total int64)
	share       int64
	readN, sum  int64
	total, last int64
	seen        map[int]int64
}

func newSplitProgress(report func(done, total int64), size int64, k, jobs int) *splitProgress {
	share := size / int64(jobs)
	return &splitProgress{report: report, share: share, total: size + int64(k-jobs)*share, seen: map[int]int64{}}
}

// read is the splitter's progress.
func (p *splitProgress) read(n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.readN = n
	p.tell()
}

// shard is a spilled shard's: its tshark is at frame of n.
func (p *splitProgress) shard(id int, frame, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if n > 0 {
		v := p.share * min(frame, n) / n
		p.sum += v - p.seen[id]
		p.seen[id] = v
	}
	p.tell()
}

// finish reports the whole split done.
func (p *splitProgress) finish() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.readN, p.sum = p.total, 0
	p.tell()
}

func (p *splitProgress) tell() {
	done := min(p.readN+p.sum, p.total)
	if p.report == nil || done < p.last {
		return
	}
	p.last = done
	p.report(done, p.total)
}
