package main

import (
	"context"
	"encoding/csv"
	"errors"
	"io"

	"github.com/spf13/pflag"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/internal/export"
)

const exportUsage = `pcapmeter export: one CSV row per packet, ready for pandas or R

Usage:
  pcapmeter export FILE... [flags]

By default the columns of Wireshark's packet list: No., Time, Source,
Destination, Protocol, Length, Info. --fields picks any tshark fields
instead. Values are quoted per RFC 4180 (an Info text may hold commas and
quotes); an empty cell means tshark had no value. Rows stream out as tshark
produces them. Several files (or a quoted glob) are the pieces of one
capture (a ring buffer): one CSV, frames numbered and timed as in the
capture they were cut from.

Examples:
  pcapmeter export trace.pcapng -o packets.csv
  pcapmeter export trace.pcapng --time iso --filter 'tcp.port == 443'
  pcapmeter export trace.pcapng --fields frame.number,frame.time_epoch,ip.src,tcp.len -o x.csv

Flags:
`

// exportOptions are pcapmeter export's flags as the user gave them.
type exportOptions struct {
	output, filter, time, tshark string
	fields, files                []string
	quiet, stats                 bool
	jobs                         int
}

// AddFlags declares the flags on fs.
func (o *exportOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVarP(&o.output, "output", "o", "", "write the CSV to `FILE` instead of stdout")
	fs.StringSliceVar(&o.fields, "fields", nil, "tshark `FIELDS` to export instead of the packet list, comma separated")
	fs.StringVar(&o.filter, "filter", "", "tshark display `FILTER` selecting the packets (e.g. 'http || dns')")
	fs.StringVar(&o.time, "time", "relative", "Time column: relative (seconds since the first packet), epoch (Unix seconds) or iso (ISO 8601, UTC)")
	addTsharkFlag(fs, &o.tshark)
	addQuietFlag(fs, &o.quiet)
	addStatsFlag(fs, &o.stats)
	addJobsFlag(fs, &o.jobs)
}

// options checks the flags and the argument (the capture) and returns
// what to export; an error is the user's to fix.
func (o *exportOptions) options(args []string) (export.Options, error) {
	opt := export.Options{Filter: o.filter, Tshark: o.tshark, Jobs: o.jobs}
	var err error
	if o.files, err = captureArgs(args); err != nil {
		return opt, err
	}
	if err := checkJobs(o.jobs); err != nil {
		return opt, err
	}
	if len(o.fields) > 0 {
		opt.Columns, err = export.FieldColumns(o.fields)
	} else {
		opt.Columns, err = export.PacketList(o.time)
	}
	return opt, err
}

func runExport(args []string, stdout, stderr io.Writer) int {
	// Until the output is open nothing is written anywhere.
	x := cli.Exit{Prog: "pcapmeter export", Stderr: stderr, Stopped: "no CSV written"}
	var o exportOptions
	opt, code, done := parseCommand[export.Options](x, &o, args, stdout, exportUsage)
	if done {
		return code
	}
	// Before tshark.Find (in Prepare): Ctrl-C during the version check
	// ends the run cleanly too.
	sess, code, ok := openSession(&x, o.files, stdout, stderr, o.output)
	if !ok {
		return code
	}
	defer sess.close()
	x.Stopped = exportStopped(sess.out, o.output)
	sess.measure(o.stats)
	opt.File = sess.path()
	e, err := export.Prepare(sess.ctx, opt)
	if err != nil {
		return x.Failed(sess.ctx, err)
	}
	var truncated bool
	// Rows stream to stdout as they come: a bar on the same terminal
	// would draw over them.
	toTerminal := (o.output == "" || o.output == "-") && isTerminal(stdout)
	bar := sess.startBar(o.quiet || toTerminal, "exporting")
	e.SetProgress(bar.BytesFunc())
	err = writeReport(sess.out.writer(o.output), func(w io.Writer) (err error) {
		truncated, err = writeCSV(sess.ctx, w, e, opt.Columns.Header, bar.CountFunc("rows"))
		return err
	})
	sess.stopBar()
	var rej *export.RejectedError
	if errors.As(err, &rej) {
		err = &cli.UsageError{Msg: rej.Msg}
	}
	if err == nil {
		err = sess.out.commit()
	}
	if err != nil {
		return x.Failed(sess.ctx, err)
	}
	return x.Finished(truncated || sess.cap.Truncated, cli.CutShort("the CSV holds"))
}

// exportStopped completes the line of an interrupted export: rows
// streamed to stdout, a device or a FIFO are there, cut off; a file is
// replaced only by a finished export.
func exportStopped(out *outputs, path string) string {
	if f := out.files[path]; f != nil && !f.Streams() {
		return "no CSV written, " + f.Name() + " left as it was"
	}
	return "the CSV is incomplete"
}

// writeCSV writes the export as CSV with RFC 4180 quoting. The header
// waits for tshark's first row (or a clean end), so a filter tshark
// rejects leaves no half-made CSV behind.
//
// rows, if set, is told how many rows are written so far (the export's
// rows carry only the user's columns, so there is no frame number to
// turn into bytes).
func writeCSV(ctx context.Context, w io.Writer, e *export.Export, header []string, rows func(int64)) (truncated bool, err error) {
	var n int64
	cw := csv.NewWriter(w)
	wroteHeader := false
	writeHeader := func() error {
		if wroteHeader {
			return nil
		}
		wroteHeader = true
		return cw.Write(header)
	}
	truncated, err = e.Run(ctx, func(row []string) error {
		if err := writeHeader(); err != nil {
			return err
		}
		if n++; rows != nil && n%1024 == 0 {
			rows(n)
		}
		return cw.Write(row)
	})
	if err != nil {
		return false, err
	}
	if err := writeHeader(); err != nil {
		return false, err
	}
	cw.Flush()
	return truncated, cw.Error()
}
