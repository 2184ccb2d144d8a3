package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
)

// httpOutput is where pcapmeter http writes its report: a file or stdout,
// buffered. It is opened before the measurement because the per-exchange
// formats (CSV, JSON Lines) stream while it runs.
type httpOutput struct {
	path   string
	format string
	file   *os.File // nil for stdout
	bw     *bufio.Writer
	csv    *report.CSV
	jsonl  *report.JSONL
	closed bool
}

// openHTTPOutput creates the output (path "" or "-": stdout) and, for
// CSV, writes its header.
func openHTTPOutput(path, format string, stdout io.Writer) (*httpOutput, error) {
	o := &httpOutput{path: path, format: format}
	out := stdout
	if path != "" && path != "-" {
		f, err := os.Create(path)
		if err != nil {
			return nil, fmt.Errorf("cannot write %s: %v", path, err)
		}
		o.file, out = f, f
	}
	o.bw = bufio.NewWriter(out)
	switch format {
	case "csv":
		c, err := report.NewCSV(o.bw)
		if err != nil {
			o.abandon()
			return nil, err
		}
		o.csv = c
	case "jsonl":
		o.jsonl = report.NewJSONL(o.bw)
	}
	return o, nil
}

// onExchange is the per-exchange sink of the streaming formats, nil for
// the summaries.
func (o *httpOutput) onExchange() func(string, *exchange.Exchange) error {
	switch {
	case o.csv != nil:
		return o.csv.Write
	case o.jsonl != nil:
		return o.jsonl.Write
	}
	return nil
}

// finish writes the summary formats, flushes and closes. With no HTTP
// found the text report is left out and a write error does not matter
// (the run fails on that anyway).
func (o *httpOutput) finish(res *httplat.Result, p report.Params, noHTTP bool) error {
	var err error
	switch o.format {
	case "text":
		if !noHTTP {
			report.Text(o.bw, res, p)
		}
	case "json":
		err = report.JSON(o.bw, res, p)
	case "csv":
		err = o.csv.Flush()
	}
	if err == nil {
		err = o.bw.Flush()
	}
	if err != nil && !noHTTP {
		o.abandon()
		return fmt.Errorf("writing the report: %v", err)
	}
	o.closed = true
	if o.file != nil {
		if err := o.file.Close(); err != nil {
			return fmt.Errorf("writing %s: %v", o.path, err)
		}
	}
	return nil
}

// abandon flushes what was written so far and closes, on the way out of a
// failed run; after finish it does nothing.
func (o *httpOutput) abandon() {
	if o.closed {
		return
	}
	o.closed = true
	o.bw.Flush()
	if o.file != nil {
		o.file.Close()
	}
}
