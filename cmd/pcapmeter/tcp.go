package main

import (
	"errors"
	"fmt"
	"io"
	"strconv"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/tcpconn"
)

const tcpUsage = `pcapmeter tcp: TCP connection performance, one line per connection

Usage:
  pcapmeter tcp FILE [flags]

Per connection: client and server, duration, handshake halves (SYN ->
SYN/ACK, SYN/ACK -> ACK) and tshark's initial RTT, packets and payload bytes
each way, time to first and last byte of the server's data after the
client's first data, goodput, retransmissions, fast retransmissions,
out-of-order, lost segments, duplicate ACKs, zero-window events, how it
ended, HTTP requests carried. Then percentiles across connections.

Examples:
  pcapmeter tcp trace.pcapng
  pcapmeter tcp trace.pcapng --server 10.0.0.5 --port 443 --format json
  pcapmeter tcp trace.pcapng --gaps --format json    # inter-packet gaps of the server's data

Flags:
`

func runTCP(args []string, stdout, stderr io.Writer) int {
	const prog = "pcapmeter tcp"
	fs := newFlags(prog)
	server := fs.String("server", "", "only connections of this server `IP`")
	port := fs.String("port", "", "only connections on this `PORT`")
	stream := fs.String("stream", "", "only tshark's tcp.stream `N`")
	gaps := fs.Bool("gaps", false, "inter-packet gap analysis of the server's data: IPID_GAP, OUT_OF_ORDER, LAST_PACKET_SHORT")
	format := fs.StringP("format", "f", "text", "output `format`: text, json or csv (one row per connection; no gaps)")
	output := fs.StringP("output", "o", "", "write the report to `FILE` instead of stdout")
	percentiles := fs.String("percentiles", "25,50,75,95,99", "nearest-rank percentiles of the summary")
	tsharkPath := fs.String("tshark", "", "tshark binary (default: $TSHARK, then tshark on PATH)")
	if code, done := parseFlags(fs, args, stdout, stderr, tcpUsage); done {
		return code
	}
	usageErr := func(msg string) int { return usageError(stderr, prog, msg) }
	if fs.NArg() != 1 {
		return usageErr("give exactly one capture file")
	}
	opt := tcpconn.Options{File: fs.Arg(0), Gaps: *gaps, Tshark: *tsharkPath}
	var err error
	if opt.Server, opt.Port, err = cli.ParseServer(*server, *port); err != nil {
		return usageErr(err.Error())
	}
	if *stream != "" {
		n, err := strconv.ParseUint(*stream, 10, 31)
		if err != nil {
			return usageErr(fmt.Sprintf("invalid --stream %q: give a tshark tcp.stream number, 0 or more", *stream))
		}
		opt.Stream, opt.HasStream = int64(n), true
	}
	if opt.Percentiles, err = cli.ParsePercentiles(*percentiles); err != nil {
		return usageErr(err.Error())
	}
	switch *format {
	case "text", "json", "csv":
	default:
		return usageErr(fmt.Sprintf("invalid --format %q: give text, json or csv", *format))
	}
	ctx, stop := cli.SignalContext()
	defer stop()
	res, err := tcpconn.Run(ctx, opt)
	if err != nil {
		switch {
		case ctx.Err() != nil:
			cli.Fail(stderr, prog, "interrupted; tshark stopped, no report")
			return cli.ExitInterrupted
		case errors.Is(err, tcpconn.ErrNoTCP):
			cli.Fail(stderr, prog, "no TCP connection matches the selection; check --server, --port and --stream (`pcapmeter summary FILE` lists conversations)")
		default:
			cli.Fail(stderr, prog, cli.Describe(err))
		}
		return cli.ExitError
	}
	if werr := writeReport(*output, stdout, func(w io.Writer) error {
		switch *format {
		case "json":
			return report.TCPJSON(w, res)
		case "csv":
			return report.TCPCSV(w, res)
		}
		report.TCPText(w, res, *gaps)
		return nil
	}); werr != nil {
		cli.Fail(stderr, prog, cli.Describe(werr))
		return cli.ExitError
	}
	if res.Partial {
		cli.Fail(stderr, prog, "partial result: the capture is cut short in the middle of a packet; figures cover the packets before the cut")
		return cli.ExitPartial
	}
	return cli.ExitOK
}
