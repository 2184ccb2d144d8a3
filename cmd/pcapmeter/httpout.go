package main

import (
	"bufio"
	"fmt"
	"io"

	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
)

// httpOutput is where pcapmeter http writes its report: a file or stdout,
// buffered. It is opened before the measurement because the per-exchange
// formats (CSV, JSON Lines) stream while it runs.
type httpOutput struct {
	format string
	bw     *bufio.Writer
	csv    *report.CSV
	jsonl  *report.JSONL
	closed bool
}

// openHTTPOutput buffers the output w (prepared by openOutputs, which
// also commits it) and, for CSV, writes its header.
func openHTTPOutput(w io.Writer, format string) (*httpOutput, error) {
	o := &httpOutput{format: format}
	o.bw = bufio.NewWriter(w)
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
}
