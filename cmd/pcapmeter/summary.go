package main

import (
	"encoding/json"
	"fmt"
	"io"

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
  pcapmeter summary trace.pcapng --plot trace.png   # packet size and inter-arrival CDFs

Flags:
`

func runSummary(args []string, stdout, stderr io.Writer) int {
	const prog = "pcapmeter summary"
	fs := newFlags(prog)
	format := fs.StringP("format", "f", "text", "output `format`: text or json")
	output := fs.StringP("output", "o", "", "write the report to `FILE` instead of stdout")
	top := fs.Int("top", 10, "how many protocols and conversations to list")
	plotFile := fs.String("plot", "", "draw the CDFs of packet size and inter-arrival time to `FILE`.svg or .png")
	tsharkPath := fs.String("tshark", "", "tshark binary (default: $TSHARK, then tshark on PATH)")
	if code, done := parseFlags(fs, args, stdout, stderr, summaryUsage); done {
		return code
	}
	usageErr := func(msg string) int { return usageError(stderr, prog, msg) }
	if fs.NArg() != 1 {
		return usageErr("give exactly one capture file")
	}
	if *format != "text" && *format != "json" {
		return usageErr(fmt.Sprintf("invalid --format %q: give text or json", *format))
	}
	if *top < 1 {
		return usageErr("--top must be at least 1")
	}
	if *plotFile != "" {
		if _, err := chart.Format(*plotFile); err != nil {
			return usageErr(err.Error())
		}
	}
	ctx, stop := cli.SignalContext()
	defer stop()
	s, err := tracesum.Run(ctx, tracesum.Options{File: fs.Arg(0), Tshark: *tsharkPath, TopN: *top})
	if err != nil {
		if ctx.Err() != nil {
			cli.Fail(stderr, prog, "interrupted; tshark stopped, no report")
			return cli.ExitInterrupted
		}
		cli.Fail(stderr, prog, cli.Describe(err))
		return cli.ExitError
	}
	if *plotFile != "" {
		err := chart.CDFPage(*plotFile, []chart.Sample{
			{Title: "Packet size CDF\n" + s.File, XLabel: "frame size (bytes)", Values: s.Sizes},
			{Title: "Inter-arrival time CDF (log x)\n" + s.File, XLabel: "time since the previous packet (s)", Values: s.Gaps, LogX: true},
		})
		if err != nil {
			cli.Fail(stderr, prog, fmt.Sprintf("drawing %s: %v", *plotFile, err))
			return cli.ExitError
		}
	}
	if werr := writeReport(*output, stdout, func(w io.Writer) error {
		if *format == "json" {
			enc := json.NewEncoder(w)
			enc.SetEscapeHTML(false)
			enc.SetIndent("", "  ")
			return enc.Encode(struct {
				Schema string `json:"schema"`
				*tracesum.Summary
			}{"pcapmeter.summary/v1", s})
		}
		report.SummaryText(w, s)
		return nil
	}); werr != nil {
		cli.Fail(stderr, prog, cli.Describe(werr))
		return cli.ExitError
	}
	if s.Partial {
		cli.Fail(stderr, prog, "partial result: the capture is cut short in the middle of a packet; figures cover the packets before the cut")
		return cli.ExitPartial
	}
	return cli.ExitOK
}
