package main

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

const exportUsage = `pcapmeter export: one CSV row per packet, ready for pandas or R

Usage:
  pcapmeter export FILE [flags]

By default the columns of Wireshark's packet list: No., Time, Source,
Destination, Protocol, Length, Info. --fields picks any tshark fields
instead. Values are quoted per RFC 4180 (an Info text may hold commas and
quotes); an empty cell means tshark had no value. Rows stream out as tshark
produces them.

Examples:
  pcapmeter export trace.pcapng -o packets.csv
  pcapmeter export trace.pcapng --time iso --filter 'tcp.port == 443'
  pcapmeter export trace.pcapng --fields frame.number,frame.time_epoch,ip.src,tcp.len -o x.csv

Flags:
`

// packetList is Wireshark's default packet list; the Time column is
// filled according to --time.
var packetList = []struct{ title, field string }{
	{"No.", "frame.number"}, {"Time", ""}, {"Source", "_ws.col.Source"}, {"Destination", "_ws.col.Destination"},
	{"Protocol", "_ws.col.Protocol"}, {"Length", "frame.len"}, {"Info", "_ws.col.Info"},
}

func runExport(args []string, stdout, stderr io.Writer) int {
	const prog = "pcapmeter export"
	fs := newFlags(prog)
	output := fs.StringP("output", "o", "", "write the CSV to `FILE` instead of stdout")
	fields := fs.StringSlice("fields", nil, "tshark `FIELDS` to export instead of the packet list, comma separated")
	filter := fs.String("filter", "", "tshark display `FILTER` selecting the packets (e.g. 'http || dns')")
	timeFmt := fs.String("time", "relative", "Time column: relative (seconds since the first packet), epoch (Unix seconds) or iso (ISO 8601, UTC)")
	tsharkPath := fs.String("tshark", "", "tshark binary (default: $TSHARK, then tshark on PATH)")
	if code, done := parseFlags(fs, args, stdout, stderr, exportUsage); done {
		return code
	}
	usageErr := func(msg string) int { return usageError(stderr, prog, msg) }
	if fs.NArg() != 1 {
		return usageErr("give exactly one capture file")
	}
	file := fs.Arg(0)
	var header, spec []string
	iso := false
	if len(*fields) > 0 {
		for _, f := range *fields {
			f = strings.TrimSpace(f)
			if !tshark.ValidField(f) {
				return usageErr(fmt.Sprintf("invalid field name %q", f))
			}
			header, spec = append(header, f), append(spec, f)
		}
	} else {
		for _, c := range packetList {
			f := c.field
			if f == "" {
				switch *timeFmt {
				case "relative":
					f = "frame.time_relative"
				case "epoch":
					f = "frame.time_epoch"
				case "iso":
					f, iso = "frame.time_epoch", true
				default:
					return usageErr(fmt.Sprintf("invalid --time %q: give relative, epoch or iso", *timeFmt))
				}
			}
			header, spec = append(header, c.title), append(spec, f)
		}
	}
	if _, err := capfile.Sniff(file); err != nil && !errors.Is(err, capfile.ErrEmpty) {
		cli.Fail(stderr, prog, cli.Describe(err))
		return cli.ExitError
	}
	bin, _, err := tshark.Find(context.Background(), *tsharkPath)
	if err != nil {
		cli.Fail(stderr, prog, cli.Describe(err))
		return cli.ExitError
	}
	ctx, stop := cli.SignalContext()
	defer stop()
	var truncated bool
	werr := writeReport(*output, stdout, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		// The header waits for tshark's first row (or a clean end), so a
		// filter tshark rejects leaves no half-made CSV behind.
		wroteHeader := false
		writeHeader := func() error {
			if wroteHeader {
				return nil
			}
			wroteHeader = true
			return cw.Write(header)
		}
		timeCol := 1
		truncated, err = dissect.Run(ctx, bin, tshark.Spec{Input: file, Fields: spec, Mode: tshark.Fields, DisplayFilter: *filter}, dissect.Same[[]string], func(rowp *[]string) error {
			row := *rowp
			if err := writeHeader(); err != nil {
				return err
			}
			if iso && row[timeCol] != "" {
				t, err := parse.ParseTime(row[timeCol])
				if err != nil {
					return err
				}
				row[timeCol] = t.RFC3339()
			}
			return cw.Write(row)
		})
		if err != nil {
			return err
		}
		if err := writeHeader(); err != nil {
			return err
		}
		cw.Flush()
		return cw.Error()
	})
	if werr != nil {
		if ctx.Err() != nil {
			cli.Fail(stderr, prog, "interrupted; tshark stopped, the CSV is incomplete")
			return cli.ExitInterrupted
		}
		var ee *tshark.ExitError
		if errors.As(werr, &ee) && (ee.Code == 1 || ee.Code == 2) {
			// tshark refuses bad filters (status 2) and field names
			// (status 1) before reading a packet, and says why; its words
			// are the most useful ones.
			if msg, ok := rejection(ee.Stderr, *filter); ok {
				cli.Fail(stderr, prog, msg)
				return cli.ExitUsage
			}
		}
		cli.Fail(stderr, prog, cli.Describe(werr))
		return cli.ExitError
	}
	if truncated {
		cli.Fail(stderr, prog, "partial result: the capture is cut short in the middle of a packet; the CSV holds the packets before the cut")
		return cli.ExitPartial
	}
	return cli.ExitOK
}

// rejection turns tshark's complaint about a display filter or field list
// into one line, and reports whether it was one.
func rejection(stderr, filter string) (string, bool) {
	var lines []string
	for _, l := range strings.Split(stderr, "\n") {
		l = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(l), "tshark: "))
		if l == "" || strings.Trim(l, "^~ ") == "" || l == filter {
			continue
		}
		lines = append(lines, l)
	}
	msg := strings.Join(lines, " ")
	switch {
	case strings.Contains(msg, "fields aren't valid"):
		return "tshark rejected --fields: " + msg + "; `tshark -G fields` lists the valid names", true
	case filter != "" && msg != "":
		return fmt.Sprintf("tshark rejected --filter %q: %s", filter, msg), true
	}
	return "", false
}
