package main

import (
	"errors"
	"io"
	"path/filepath"

	"github.com/spf13/pflag"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/chart"
	"github.com/pcapmeter/pcapmeter/internal/tracesum"
)

const summaryUsage = `pcapmeter summary: what is in a capture, in one screen

Usage:
  pcapmeter summary FILE... [flags]

Several files (or a quoted glob) are the pieces of one capture (a ring
buffer): totals and conversations are those of the capture they were cut
from.

File format and link type; packets, bytes, first and last timestamp,
duration, packet and bit rate; protocol mix; top conversations by bytes;
packet size and inter-arrival statistics; TCP handshake RTT, retransmissions
and lost segments; HTTP and ICMP echo counts.

Examples:
  pcapmeter summary trace.pcapng
  pcapmeter summary trace.pcapng --format json
  pcapmeter summary trace.pcapng --format csv     # protocols and conversations as rows
  pcapmeter summary trace.pcapng --plot trace.png   # packet size and inter-arrival CDFs

Flags:
`

// summaryOptions are pcapmeter summary's flags as the user gave them.
type summaryOptions struct {
	report reportFlags
	top    int
	plot   string
	jobs   int
	files  []string
}

// AddFlags declares the flags on fs.
func (o *summaryOptions) AddFlags(fs *pflag.FlagSet) {
	o.report.add(fs, "output `format`: text, json or csv (the total, protocol and conversation rows)")
	fs.IntVar(&o.top, "top", 10, "how many protocols and conversations to list")
	fs.StringVar(&o.plot, "plot", "", "draw the CDFs of packet size and inter-arrival time to `FILE`.svg or .png")
	addJobsFlag(fs, &o.jobs)
}

// options checks the flags and the argument (the capture) and returns
// what tracesum summarises; an error is the user's to fix.
func (o *summaryOptions) options(args []string) (tracesum.Options, error) {
	opt := tracesum.Options{Tshark: o.report.tshark, TopN: o.top, Jobs: o.jobs}
	var err error
	if o.files, err = captureArgs(args); err != nil {
		return opt, err
	}
	if err := checkJobs(o.jobs); err != nil {
		return opt, err
	}
	if err := cli.OneOf("format", o.report.format, "text", "json", "csv"); err != nil {
		return opt, err
	}
	if o.top < 1 {
		return opt, errors.New("--top must be at least 1")
	}
	if o.plot != "" {
		_, err = chart.Format(o.plot)
	}
	return opt, err
}

func runSummary(args []string, stdout, stderr io.Writer) int {
	x := cli.Exit{Prog: "pcapmeter summary", Stderr: stderr}
	var o summaryOptions
	opt, code, done := parseCommand[tracesum.Options](x, &o, args, stdout, summaryUsage)
	if done {
		return code
	}
	sess, code, ok := openSession(&x, o.files, stdout, stderr, o.report.output, o.plot)
	if !ok {
		return code
	}
	defer sess.close()
	sess.measure(o.report.stats)
	opt.File = sess.path()
	if sess.cap.Joined() {
		opt.Recorded = &sess.cap.Info
	}
	bar := sess.startBar(o.report.quiet, "reading capture")
	opt.Progress, opt.Packets = bar.BytesFunc(), bar.CountFunc("packets")
	s, err := tracesum.Run(sess.ctx, opt)
	sess.stopBar()
	if err != nil {
		return x.Failed(sess.ctx, err)
	}
	s.File = sess.name()
	s.Partial = s.Partial || sess.cap.Truncated
	if err := writeReport(sess.out.writer(o.report.output), func(w io.Writer) error {
		switch o.report.format {
		case "json":
			return report.SummaryJSON(w, s, jsonMeta(s.Tshark))
		case "csv":
			return report.SummaryCSV(w, s)
		}
		report.SummaryText(w, s)
		return nil
	}); err != nil {
		return x.Failed(sess.ctx, err)
	}
	// The plot is held out of the commit and put in place once drawn: a
	// plot that fails is a warning and leaves an old plot as it was.
	sess.out.hold(o.plot)
	if err := sess.out.commit(); err != nil {
		return x.Failed(sess.ctx, err)
	}
	if o.plot != "" {
		var warnings []string
		plotWarning(stderr, x.Prog, &warnings, o.plot, func() error {
			return sess.out.put(o.plot, func() ([]byte, error) { return summaryFigure(s).Encode(o.plot) })
		})
	}
	return x.Finished(s.Partial, cli.CutShort("figures cover"))
}

// summaryFigure is the page of --plot: the packet size and inter-arrival
// CDFs under one title that names the capture.
func summaryFigure(s *tracesum.Summary) chart.CDFFigure {
	return chart.CDFFigure{
		Title: "Trace summary · " + filepath.Base(s.File),
		Panels: []chart.Sample{
			{Title: "Packet sizes", XLabel: "frame size (bytes)", Values: s.Sizes},
			{Title: "Inter-arrival times (log x)", XLabel: "time since the previous packet", Values: s.Gaps, LogX: true, Duration: true},
		},
	}
}
