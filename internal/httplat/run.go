package httplat

import (
	"context"
	"fmt"
	"github.com/pcapmeter/pcapmeter/internal/keylog"
	"slices"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Run performs the measurement. On a truncated capture it returns the
// result with Partial set and a nil error; when nothing HTTP was found for
// the selection, the result (for its counts) and ErrNoHTTP.
func Run(ctx context.Context, opt Options) (*Result, error) {
	if err := opt.normalize(); err != nil {
		return nil, err
	}
	res := &Result{Pairing: opt.Pairing, Definition: opt.Definition}
	for _, f := range opt.Files {
		info, err := capfile.Sniff(f)
		if err != nil {
			return nil, err
		}
		res.Files = append(res.Files, FileInfo{Path: f, Info: info})
	}
	path, err := tshark.Locate(opt.Tshark)
	if err != nil {
		return nil, err
	}
	if opt.keylog, err = keylog.Open(opt.KeyLogs); err != nil {
		return nil, err
	}
	defer opt.keylog.Close()
	if opt.Select.Filter != "" {
		if err := checkFilter(ctx, path, opt.Select.Filter); err != nil {
			return nil, err
		}
	}
	check := startCheck(ctx, path, &res.TsharkVersion)
	defer check.wait()
	agg := newAggregator(opt)
	var cc *crossState
	if opt.Crosscheck {
		cc = newCrossState()
	}
	files, rg, notes, cut, err := stitch(ctx, res.Files)
	if err != nil {
		return nil, err
	}
	if cut {
		res.Partial = true
		res.PartialBecause = notes[len(notes)-1:]
	}
	defer rg.close()
	if rg != nil && opt.OnExchange != nil {
		opt.OnExchange = rg.sink(opt.OnExchange)
	}
	reps, err := runFiles(ctx, path, files, opt, agg, cc)
	// An unsupported tshark explains whatever the dissection ran into,
	// but a check that only timed out (a busy machine) never hides the
	// dissection's own error.
	if err := tshark.Verdict(check.wait(), err); err != nil {
		return nil, err
	}
	res.Warnings = append(res.Warnings, notes...)
	if opt.Select.Active() {
		res.Selection = &SelectionResult{Selection: opt.Select}
	}
	for _, r := range reps {
		if res.Selection != nil {
			res.Selection.Excluded += r.excluded
		}
		res.Partial = res.Partial || r.partial
		if rg != nil {
			r.warnings = rg.rename(r.warnings)
			r.because = rg.rename(r.because)
		}
		res.PartialBecause = append(res.PartialBecause, r.because...)
		res.Warnings = append(res.Warnings, r.warnings...)
		res.Unsplit = append(res.Unsplit, r.unsplit...)
	}
	agg.finish(res, opt)
	if cc != nil {
		res.Crosscheck = cc.result()
		for i := range res.Crosscheck.Disagreements {
			if rg != nil {
				rg.place(&res.Crosscheck.Disagreements[i])
			}
		}
	}
	if res.Total.Requests+res.Total.Responses == 0 {
		return res, ErrNoHTTP
	}
	enrich(res, opt)
	return res, nil
}

// versionCheck is tshark's version check, run beside the first dissection
// instead of before it: tshark takes ~0.3 s to start.
type versionCheck struct {
	done chan error
	err  error
}

func startCheck(ctx context.Context, path string, v *tshark.Version) *versionCheck {
	c := &versionCheck{done: make(chan error, 1)}
	go func() {
		var err error
		*v, err = dissect.Check(ctx, path)
		c.done <- err
	}()
	return c
}

// wait returns the check's verdict, waiting for it the first time.
func (c *versionCheck) wait() error {
	if c.done != nil {
		c.err = <-c.done
		c.done = nil
	}
	return c.err
}

// fileReport is what one file's run has to add to the result, kept apart
// so that files dissected at the same time report in the order given.
type fileReport struct {
	partial  bool
	because  []string // the warnings that say why partial
	warnings []string
	unsplit  []string // Result.Unsplit
	excluded int      // exchanges the selection left out
}

func (r *fileReport) markPartial(file string) {
	r.markCut(fmt.Sprintf("%s: the capture is cut short in the middle of a packet; results cover the packets before the cut", file))
}

// markCut makes the result partial for the reason msg, once.
func (r *fileReport) markCut(msg string) {
	r.partial = true
	if !slices.Contains(r.because, msg) { // every pass over the file meets the cut
		r.because = append(r.because, msg)
		r.warnings = append(r.warnings, msg)
	}
}

func (r *fileReport) warn(format string, a ...any) {
	r.warnings = append(r.warnings, fmt.Sprintf(format, a...))
}
