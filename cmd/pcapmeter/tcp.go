package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/spf13/pflag"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/tcpconn"
)

const tcpUsage = `pcapmeter tcp: TCP connection performance, one line per connection

Usage:
  pcapmeter tcp FILE... [flags]

Several files (or a quoted glob) are the pieces of one capture (a ring
buffer): they are read as one, in time order, so a connection spanning
files is one connection.

Per connection: client and server, duration, handshake halves (SYN ->
SYN/ACK, SYN/ACK -> ACK) and tshark's initial RTT, packets and payload bytes
each way, time to first and last byte of the server's data after the
client's first data, goodput, retransmissions, fast retransmissions,
out-of-order, lost segments, duplicate ACKs, zero-window events, how it
ended, HTTP requests carried; for a TLS connection its handshake: version,
resumed, HelloRetryRequest, ClientHello -> ServerHello and ClientHello ->
server Finished (TLS 1.3 without keys: the end of the server's first
flight), or why it did not complete. Then percentiles across connections.

Examples:
  pcapmeter tcp trace.pcapng
  pcapmeter tcp trace.pcapng --server 10.0.0.5 --port 443 --format json
  pcapmeter tcp trace.pcapng --gaps --format json    # inter-packet gaps of the server's data
  pcapmeter tcp https.pcapng --keylog keys.log       # TLS 1.3 handshakes to the server's Finished
  pcapmeter tcp 'ring/ring_*.pcapng' -j 4

Flags:
`

// tcpOptions are pcapmeter tcp's flags as the user gave them.
type tcpOptions struct {
	server, port, stream string
	gaps                 bool
	jobs                 int
	files                []string
	keylogs              []string
	report               reportFlags
	percentiles          string
}

// AddFlags declares the flags on fs.
func (o *tcpOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.server, "server", "", "only connections of this server `IP`")
	fs.StringVar(&o.port, "port", "", "only connections on this `PORT`")
	fs.StringVar(&o.stream, "stream", "", "only tshark's tcp.stream `N`")
	fs.BoolVar(&o.gaps, "gaps", false, "inter-packet gap analysis of the server's data: IPID_GAP, OUT_OF_ORDER, LAST_PACKET_SHORT")
	o.report.add(fs, "output `format`: text, json or csv (one row per connection; no gaps)")
	fs.StringArrayVar(&o.keylogs, "keylog", nil, "TLS key log `FILE`: TLS 1.3 handshakes end at the decrypted server Finished (repeatable; default $SSLKEYLOGFILE)")
	addJobsFlag(fs, &o.jobs)
	fs.StringVar(&o.percentiles, "percentiles", "25,50,75,95,99", "nearest-rank percentiles of the summary")
}

// options checks the flags and the arguments (the capture) and returns
// what tcpconn measures; an error is the user's to fix.
func (o *tcpOptions) options(args []string) (tcpconn.Options, error) {
	opt := tcpconn.Options{Gaps: o.gaps, Tshark: o.report.tshark, Jobs: o.jobs}
	var err error
	if o.files, err = captureArgs(args); err != nil {
		return opt, err
	}
	if err := checkJobs(o.jobs); err != nil {
		return opt, err
	}
	if opt.Server, opt.Port, err = cli.ParseServer(o.server, o.port); err != nil {
		return opt, err
	}
	if o.stream != "" {
		n, err := strconv.ParseUint(o.stream, 10, 31)
		if err != nil {
			return opt, fmt.Errorf("invalid --stream %q: give a tshark tcp.stream number, 0 or more", o.stream)
		}
		opt.Stream, opt.HasStream = int64(n), true
	}
	if opt.Percentiles, err = cli.ParsePercentiles(o.percentiles); err != nil {
		return opt, err
	}
	opt.KeyLogs = o.keylogs
	if env := os.Getenv("SSLKEYLOGFILE"); len(opt.KeyLogs) == 0 && env != "" {
		opt.KeyLogs = []string{env}
	}
	return opt, cli.OneOf("format", o.report.format, "text", "json", "csv")
}

func runTCP(args []string, stdout, stderr io.Writer) int {
	x := cli.Exit{Prog: "pcapmeter tcp", Stderr: stderr, Explain: explainTCP}
	var o tcpOptions
	opt, code, done := parseCommand[tcpconn.Options](x, &o, args, stdout, tcpUsage)
	if done {
		return code
	}
	s, code, ok := openSession(&x, o.files, stdout, stderr, o.report.output)
	if !ok {
		return code
	}
	defer s.close()
	s.measure(o.report.stats)
	opt.File = s.path()
	bar := s.startBar(o.report.quiet, "reading capture")
	opt.Progress, opt.Packets = bar.BytesFunc(), bar.CountFunc("packets")
	res, err := tcpconn.Run(s.ctx, opt)
	s.stopBar()
	if err != nil {
		return x.Failed(s.ctx, err)
	}
	res.File = s.name()
	res.Partial = res.Partial || s.cap.Truncated
	if code, ok := s.write(o.report.output, func(w io.Writer) error {
		switch o.report.format {
		case "json":
			return report.TCPJSON(w, res, jsonMeta(res.Tshark))
		case "csv":
			return report.TCPCSV(w, res)
		}
		report.TCPText(w, res, o.gaps)
		return nil
	}); !ok {
		return code
	}
	return x.Finished(res.Partial, cli.CutShort("figures cover"))
}

func explainTCP(err error) string {
	if errors.Is(err, tcpconn.ErrNoTCP) {
		return "no TCP connection matches the selection; check --server, --port and --stream (`pcapmeter summary FILE` lists conversations)"
	}
	return cli.Describe(err)
}
