package httplat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
)

// runFiles measures every file, several at a time when opt.Jobs allows:
// ring-buffer sets are many files of moderate size, where running whole
// files side by side beats splitting each one. With F files and N jobs,
// min(N, F) files run at once with N/min(N, F) tshark processes each, so
// no more than N run in all. Figures do not depend on the order files
// finish in (the aggregator orders samples canonically); the per-exchange
// sink (CSV, JSON lines) still sees the files in the order given. One
// worker is the plain sequential case: each file is the sink's head when
// it runs, so nothing spills.
func runFiles(ctx context.Context, bin string, files []FileInfo, opt Options, agg *aggregator, cc *crossState) ([]fileReport, error) {
	workers := 1
	if opt.Jobs > 1 {
		workers = min(opt.Jobs, len(files))
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	fr := &filesRun{bin: bin, files: files, opt: opt, agg: agg, cc: cc, cancel: cancel,
		reps: make([]fileReport, len(files)), errs: make([]error, len(files))}
	fr.opt.Jobs = max(1, opt.Jobs/workers)
	if opt.Progress != nil {
		fr.prog = newProgressSum(files, opt.Progress)
	}
	if opt.OnExchange != nil {
		fr.sink = newOrderedSink(files, opt.OnExchange)
		defer fr.sink.close()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fr.one(ctx, i)
			}
		}()
	}
feed:
	for i := range files {
		select {
		case next <- i:
		case <-ctx.Done():
			break feed
		}
	}
	close(next)
	wg.Wait()
	if err := fr.err(ctx); err != nil {
		return nil, err
	}
	return fr.reps, nil
}

// filesRun is the state runFiles' workers share.
type filesRun struct {
	bin    string
	files  []FileInfo
	opt    Options // each file's, but for its sink and progress
	agg    *aggregator
	cc     *crossState
	sink   *orderedSink // nil without a per-exchange sink
	prog   *progressSum // nil without progress
	cancel func()
	reps   []fileReport
	errs   []error
}

// one measures file i; a failure cancels the others.
func (fr *filesRun) one(ctx context.Context, i int) {
	f := &fileRun{bin: fr.bin, file: fr.files[i].Path, opt: fr.opt, into: fr.agg, cc: fr.cc, rep: &fr.reps[i]}
	if fr.sink != nil {
		f.opt.OnExchange = fr.sink.writer(i)
	}
	if fr.prog != nil {
		f.opt.Progress = fr.prog.file(i)
	}
	err := f.run(ctx)
	if err == nil && fr.sink != nil {
		err = fr.sink.finish(i)
	}
	if err != nil {
		fr.errs[i] = err
		fr.cancel()
	} else if fr.prog != nil {
		fr.prog.finish(i)
	}
}

// err is the run's error: the first file's own failure, which explains
// the others' cancellation.
func (fr *filesRun) err(ctx context.Context) error {
	var first error
	for _, err := range fr.errs {
		if err == nil {
			continue
		}
		if !errors.Is(err, context.Canceled) {
			return err
		}
		if first == nil {
			first = err
		}
	}
	if first == nil {
		first = ctx.Err()
	}
	return first
}

// orderedSink passes exchanges of files that run at the same time to one
// per-exchange sink in the order the files were given: the file at the
// head writes through; the others spill to a temporary file (nothing
// grows in memory), replayed when the files before them are done.
type orderedSink struct {
	mu    sync.Mutex
	out   func(string, *exchange.Exchange) error
	files []FileInfo
	head  int
	done  []bool
	spill []*spill[exchange.Exchange]
}

func newOrderedSink(files []FileInfo, out func(string, *exchange.Exchange) error) *orderedSink {
	return &orderedSink{out: out, files: files, done: make([]bool, len(files)), spill: make([]*spill[exchange.Exchange], len(files))}
}

func (s *orderedSink) writer(i int) func(string, *exchange.Exchange) error {
	return func(file string, e *exchange.Exchange) error {
		s.mu.Lock()
		defer s.mu.Unlock()
		if i == s.head {
			return s.out(file, e)
		}
		if s.spill[i] == nil {
			sp, err := newSpill[exchange.Exchange]()
			if err != nil {
				return fmt.Errorf("holding %s's exchanges until the files before it are done: %w", file, err)
			}
			s.spill[i] = sp
		}
		return s.spill[i].add(e)
	}
}

// finish marks file i done and moves the head past every finished file,
// replaying what the new head spilled before it became the head.
func (s *orderedSink) finish(i int) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.done[i] = true
	for s.head < len(s.files) && s.done[s.head] {
		s.head++
		if s.head < len(s.files) {
			if err := s.replay(s.head); err != nil {
				return err
			}
		}
	}
	return nil
}

func (s *orderedSink) replay(i int) error {
	sp := s.spill[i]
	if sp == nil {
		return nil
	}
	s.spill[i] = nil
	defer sp.remove()
	dec, err := sp.reader()
	if err != nil {
		return err
	}
	for {
		var e exchange.Exchange
		if err := dec.Decode(&e); err == io.EOF {
			return nil
		} else if err != nil {
			return fmt.Errorf("replaying %s's exchanges: %w", s.files[i].Path, err)
		}
		if err := s.out(s.files[i].Path, &e); err != nil {
			return err
		}
	}
}

func (s *orderedSink) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, sp := range s.spill {
		if sp != nil {
			sp.remove()
			s.spill[i] = nil
		}
	}
}

// progressSum turns per-file progress into one figure over all files:
// each file counts its size until it reports a total of its own (a split
// file reads its bytes once per pass).
type progressSum struct {
	mu          sync.Mutex
	report      func(done, total int64)
	done, total []int64
}

func newProgressSum(files []FileInfo, report func(done, total int64)) *progressSum {
	p := &progressSum{report: report, done: make([]int64, len(files)), total: make([]int64, len(files))}
	for i, f := range files {
		p.total[i] = fileSize(f.Path)
	}
	return p
}

func (p *progressSum) file(i int) func(done, total int64) {
	return func(done, total int64) {
		p.mu.Lock()
		defer p.mu.Unlock()
		p.done[i], p.total[i] = done, total
		p.send()
	}
}

func (p *progressSum) finish(i int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.done[i] = p.total[i]
	p.send()
}

func (p *progressSum) send() {
	var d, t int64
	for i := range p.done {
		d += p.done[i]
		t += p.total[i]
	}
	p.report(d, t)
}

func fileSize(path string) int64 {
	st, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return st.Size()
}
