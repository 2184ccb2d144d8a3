package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/progress"
)

// newFlags makes a subcommand's flag set. pflag would print its complaint
// and the whole usage on a bad flag; parseFlags prints one line instead.
func newFlags(prog string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(prog, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// parseFlags handles --help (usage on stdout, exit 0) and bad flags (one
// line on stderr, exit 2); done is true when the caller should return code.
func parseFlags(fs *pflag.FlagSet, args []string, stdout, stderr io.Writer, usage string) (code int, done bool) {
	if help(args, stdout, fs, usage) {
		return cli.ExitOK, true
	}
	if err := cli.CheckArgs(args); err != nil {
		cli.Fail(stderr, fs.Name(), err.Error()+"; see `"+fs.Name()+" --help`")
		return cli.ExitUsage, true
	}
	if err := fs.Parse(args); err != nil {
		cli.Fail(stderr, fs.Name(), err.Error()+"; see `"+fs.Name()+" --help`")
		return cli.ExitUsage, true
	}
	if err := emptyFlag(fs); err != nil {
		cli.Fail(stderr, fs.Name(), err.Error()+"; see `"+fs.Name()+" --help`")
		return cli.ExitUsage, true
	}
	return 0, false
}

// emptyFlag refuses a text flag given with an empty value: "--server
// $IP" with IP unset would otherwise read as no --server at all, and the
// report cover every server while the user believes it covers one.
func emptyFlag(fs *pflag.FlagSet) error {
	var err error
	fs.Visit(func(f *pflag.Flag) {
		v := f.Value.String()
		switch f.Value.Type() {
		case "string":
		case "stringSlice", "stringArray":
			v = strings.Trim(v, "[]")
		default:
			return
		}
		if err == nil && strings.TrimSpace(v) == "" {
			err = fmt.Errorf("--%s is empty: give a value, or leave the flag out", f.Name)
		}
	})
	return err
}

// commandOptions is what a subcommand's options struct provides: its
// flags, and their validation (with the arguments) into the Options of
// the analysis it runs.
type commandOptions[O any] interface {
	AddFlags(fs *pflag.FlagSet)
	options(args []string) (O, error)
}

// parseCommand parses args with o's flags and validates them. On --help,
// a bad flag or a bad value it has printed what the user needs and done is
// true: the subcommand returns code.
func parseCommand[O any](x cli.Exit, o commandOptions[O], args []string, stdout io.Writer, usage string) (opt O, code int, done bool) {
	fs := newFlags(x.Prog)
	o.AddFlags(fs)
	if code, done := parseFlags(fs, args, stdout, x.Stderr, usage); done {
		return opt, code, true
	}
	opt, err := o.options(fs.Args())
	if err != nil {
		return opt, x.Usage(err.Error()), true
	}
	return opt, cli.ExitOK, false
}

// reportFlags are the flags every report-writing subcommand has: what to
// write, where, and with which tshark.
type reportFlags struct {
	format, output, tshark string
	quiet, stats           bool
}

// add declares --format (formats says which ones), --output and --tshark.
func (r *reportFlags) add(fs *pflag.FlagSet, formats string) {
	fs.StringVarP(&r.format, "format", "f", "text", formats)
	fs.StringVarP(&r.output, "output", "o", "", "write the report to `FILE` instead of stdout")
	addTsharkFlag(fs, &r.tshark)
	addQuietFlag(fs, &r.quiet)
	addStatsFlag(fs, &r.stats)
}

// addStatsFlag declares --stats.
func addStatsFlag(fs *pflag.FlagSet, stats *bool) {
	fs.BoolVar(stats, "stats", false, "print wall time and peak memory of pcapmeter and of its tshark processes on stderr (for benchmarks)")
}

// addQuietFlag declares -q/--quiet.
func addQuietFlag(fs *pflag.FlagSet, quiet *bool) {
	fs.BoolVarP(quiet, "quiet", "q", false, "no progress bar")
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// startBar returns the progress bar of a run on stderr, labelled label:
// nil under --quiet or when stderr is not a terminal (pipes and CI logs
// get no control characters). It erases itself when ctx is done, so a
// Ctrl-C leaves a clean line for the interruption message.
func startBar(ctx context.Context, stderr io.Writer, quiet bool, label string) *progress.Bar {
	if quiet {
		return nil
	}
	return progress.ForTerminal(ctx, stderr, label)
}

// addTsharkFlag declares --tshark.
func addTsharkFlag(fs *pflag.FlagSet, path *string) {
	fs.StringVar(path, "tshark", "", "tshark binary (default: $TSHARK, then tshark on PATH)")
}

// captureArgs are the captures of a subcommand that measures one
// capture, possibly cut into several files (a ring buffer).
func captureArgs(args []string) ([]string, error) {
	if len(args) == 0 {
		return nil, errors.New("give a capture file (or the files of one capture, e.g. a quoted 'ring_*.pcapng')")
	}
	return args, nil
}

// usageError prints msg with a pointer to the subcommand's help; exit 2.
func usageError(stderr io.Writer, prog, msg string) int {
	cli.Fail(stderr, prog, msg+"; see `"+prog+" --help`")
	return cli.ExitUsage
}

// help prints usage to stdout and reports true when -h/--help is among
// args: asked-for help goes to stdout, so it pages and greps.
func help(args []string, stdout io.Writer, fs *pflag.FlagSet, usage string) bool {
	for _, a := range args {
		if a == "-h" || a == "--help" {
			fs.SetOutput(stdout)
			fmt.Fprint(stdout, usage)
			fs.PrintDefaults()
			return true
		}
	}
	return false
}

// writeReport writes through fn to w, buffered. It returns fn's error as
// it is, or the flush error.
func writeReport(w io.Writer, fn func(io.Writer) error) error {
	bw := bufio.NewWriter(w)
	if err := fn(bw); err != nil {
		bw.Flush()
		return err
	}
	if err := bw.Flush(); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	return nil
}

// printStats reports the run's cost: wall time, this process's peak
// resident memory and the largest of its (waited-for) tshark processes'.
func printStats(w io.Writer, wall time.Duration) {
	var self, kids syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &self)
	syscall.Getrusage(syscall.RUSAGE_CHILDREN, &kids)
	cpu := func(r syscall.Rusage) float64 {
		return float64(r.Utime.Nano()+r.Stime.Nano()) / 1e9
	}
	fmt.Fprintf(w, "stats: wall %.3f s, pcapmeter peak RSS %d kB, largest tshark peak RSS %d kB, CPU pcapmeter %.2f s, tshark %.2f s\n",
		wall.Seconds(), self.Maxrss, kids.Maxrss, cpu(self), cpu(kids))
}
