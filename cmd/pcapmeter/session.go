package main

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"time"

	"github.com/spf13/pflag"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/progress"
	"github.com/pcapmeter/pcapmeter/internal/input"
	"github.com/pcapmeter/pcapmeter/internal/ringjoin"
)

// session is one run of a subcommand that measures one capture (tcp,
// summary, export): the captures read (input.Resolve), its outputs
// prepared, the files joined into the one capture they were cut from
// (ringjoin), and the progress bar. The subcommands differ only in what
// they measure and how they write it; the steps around are here once.
type session struct {
	ctx    context.Context
	stop   func()
	x      *cli.Exit
	stderr io.Writer
	set    *input.Set
	out    *outputs
	cap    *ringjoin.Capture
	bar    *progress.Bar
	// since, when --stats asks, is when the run started; close prints
	// its cost.
	since time.Time
}

// openSession starts a run over the captures args (files, globs, "-")
// writing paths; ok false means the run is over with code. Otherwise the
// caller defers s.close(). Warnings about how the files were read go to
// stderr at once: the figures rest on them.
func openSession(x *cli.Exit, args []string, stdout, stderr io.Writer, paths ...string) (s *session, code int, ok bool) {
	ctx, stop := cli.SignalContext()
	set, out, code, ok := prepare(ctx, x, args, false, stdout, paths...)
	if !ok {
		stop()
		return nil, code, false
	}
	s = &session{ctx: ctx, stop: stop, x: x, stderr: stderr, set: set, out: out}
	var err error
	if s.cap, err = ringjoin.Join(ctx, set.Paths(), set.Name); err != nil {
		code = x.Failed(ctx, err)
		s.close()
		return nil, code, false
	}
	explain := x.Explain
	x.Explain = func(err error) string {
		msg := cli.Describe(err)
		if explain != nil {
			msg = explain(err)
		}
		return s.cap.Rename(msg)
	}
	for _, w := range s.cap.Warnings {
		cli.Fail(stderr, x.Prog, "warning: "+w)
	}
	return s, 0, true
}

// close releases everything the session holds; outputs not committed are
// left as they were.
func (s *session) close() {
	s.bar.Stop()
	if !s.since.IsZero() {
		printStats(s.stderr, time.Since(s.since))
	}
	s.cap.Close()
	s.out.abort()
	s.set.Close()
	s.stop()
}

// measure has close print the run's cost (--stats) when on.
func (s *session) measure(on bool) {
	if on {
		s.since = time.Now()
	}
}

// path is what the analysis reads; name is what the report calls it.
func (s *session) path() string { return s.cap.Path }
func (s *session) name() string { return s.cap.Label() }

// startBar starts the progress bar (none under --quiet or off a
// terminal) labelled label.
func (s *session) startBar(quiet bool, label string) *progress.Bar {
	s.bar = startBar(s.ctx, s.stderr, quiet, label)
	return s.bar
}

// stopBar erases the bar before anything else is printed.
func (s *session) stopBar() {
	s.bar.Stop()
	s.bar = nil
}

// write writes the report at path (stdout for "" or "-") through fn and
// commits every output; an error is the run's end with its exit code.
func (s *session) write(path string, fn func(io.Writer) error) (code int, ok bool) {
	if err := writeReport(s.out.writer(path), fn); err != nil {
		return s.x.Failed(s.ctx, err), false
	}
	if err := s.out.commit(); err != nil {
		return s.x.Failed(s.ctx, err), false
	}
	return 0, true
}

// addJobsFlag declares -j/--jobs.
func addJobsFlag(fs *pflag.FlagSet, jobs *int) {
	fs.IntVarP(jobs, "jobs", "j", runtime.NumCPU(), "tshark processes at a time; large captures are split (by TCP connection, or by packet ranges where that is exact) and the parts dissected in parallel (same results)")
}

// checkJobs validates --jobs.
func checkJobs(jobs int) error {
	if jobs < 1 || jobs > 256 {
		return fmt.Errorf("invalid --jobs %d: give 1 to 256", jobs)
	}
	return nil
}
