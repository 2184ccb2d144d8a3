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
  pcapmeter summary FILE [flags]

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
}

// AddFlags declares the flags on fs.
func (o *summaryOptions) AddFlags(fs *pflag.FlagSet) {
	o.report.add(fs, "output `format`: text, json or csv (the total, protocol and conversation rows)")
	fs.IntVar(&o.top, "top", 10, "how many protocols and conversations to list")
	fs.StringVar(&o.plot, "plot", "", "draw the CDFs of packet size and inter-arrival time to `FILE`.svg or .png")
}

// options checks the flags and the argument (the capture) and returns
// what tracesum summarises; an error is the user's to fix.
func (o *summaryOptions) options(args []string) (tracesum.Options, error) {
	opt := tracesum.Options{Tshark: o.report.tshark, TopN: o.top}
	var err error
	if opt.File, err = oneFile(args); err != nil {
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
	ctx, stop := cli.SignalContext()
	defer stop()
	set, out, code, ok := prepare(ctx, &x, []string{opt.File}, false, stdout, o.report.output, o.plot)
	if !ok {
		return code
	}
	defer set.Close()
	defer out.abort()
	opt.File = set.Paths()[0]
	bar := startBar(ctx, stderr, o.report.quiet, "reading capture")
	opt.Progress = bar.BytesFunc()
	s, err := tracesum.Run(ctx, opt)
	bar.Stop()
	if err != nil {
		return x.Failed(ctx, err)
	}
	s.File = set.Name(s.File)
	if err := writeReport(out.writer(o.report.output), func(w io.Writer) error {
		switch o.report.format {
		case "json":
			return report.SummaryJSON(w, s, jsonMeta(ctx, o.report.tshark))
		case "csv":
			return report.SummaryCSV(w, s)
		}
		report.SummaryText(w, s)
		return nil
	}); err != nil {
		return x.Failed(ctx, err)
	}
	// The plot is drawn by name (the chart package writes its file
	// whole); its preparation has refused an input and an unwritable
	// destination, and it is dropped before the commit so that an empty
	// replacement never takes an old plot's place.
	out.drop(o.plot)
	if err := out.commit(); err != nil {
		return x.Failed(ctx, err)
	}
	if o.plot != "" {
		// A picture is never worth the report: a plot that fails is a
		// warning, drawn once the report is in place.
		var warnings []string
		plotWarning(stderr, x.Prog, &warnings, o.plot, func() error { return summaryFigure(s).Write(o.plot) })
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
