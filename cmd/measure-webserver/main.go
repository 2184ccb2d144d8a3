// Command measure-webserver is the classic assignment interface to
// pcapmeter's HTTP latency measurement:
//
//	measure-webserver FILE SERVER_IP PORT
//
// It prints exactly three lines on stdout (seconds, 5 decimals):
//
//	AVERAGE LATENCY: 0.00290
//	PERCENTILES: 0.00271 0.00283 0.00300 0.00355 0.00372
//	KL DIVERGENCE: 2.87489
//
// Latency is time to first byte (request's first byte to response's first
// byte), pairing is FIFO per TCP connection, percentiles are nearest-rank
// 25/50/75/95/99 and the KL divergence is against an exponential model with
// rate 1/mean over 10 equal buckets, in bits. Everything else (warnings,
// errors) goes to stderr.
package main

import (
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"runtime"
	"strings"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/internal/input"
)

const usage = `usage: measure-webserver FILE SERVER_IP PORT

Prints the HTTP latency of the server at SERVER_IP:PORT in capture FILE:
  AVERAGE LATENCY: mean time to first byte, seconds
  PERCENTILES: 25th 50th 75th 95th 99th (nearest rank), seconds
  KL DIVERGENCE: of the latencies from an exponential model, bits

Examples:
  measure-webserver trace.pcapng 10.0.0.5 80
  measure-webserver trace.pcap 2001:db8::1 8080

For every server at once, JSON, CSV or other latency definitions use
` + "`pcapmeter http`" + `.
Exit codes: 0 ok, 1 error, 2 usage, 3 partial result (truncated capture).
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	const prog = "measure-webserver"
	for _, a := range args {
		if a == "-h" || a == "--help" || a == "help" {
			fmt.Fprint(stdout, usage)
			return cli.ExitOK
		}
	}
	if len(args) != 3 {
		fmt.Fprint(stderr, usage)
		return cli.ExitUsage
	}
	ip, err := cli.ParseIP(args[1])
	if err != nil {
		cli.Fail(stderr, prog, err.Error())
		return cli.ExitUsage
	}
	port, err := cli.ParsePort(args[2])
	if err != nil {
		cli.Fail(stderr, prog, err.Error())
		return cli.ExitUsage
	}
	if err := cli.CheckArgs(args[:1]); err != nil {
		cli.Fail(stderr, prog, err.Error())
		return cli.ExitUsage
	}
	x := cli.Exit{Prog: prog, Stderr: stderr}
	ctx, stop := cli.SignalContext()
	defer stop()
	// Resolved after the signal context: a FIFO whose writer never
	// writes ends on Ctrl-C instead of blocking in open().
	set, err := input.Resolve(ctx, args[:1])
	if err != nil {
		return x.Failed(ctx, err)
	}
	defer set.Close()
	x.Inputs = set
	opt := httplat.Options{Files: set.Paths(), Server: ip, Port: port, Pairing: http1.PairTuple, Jobs: runtime.NumCPU()}
	res, err := httplat.Run(ctx, opt)
	switch {
	case errors.Is(err, httplat.ErrNoHTTP) && res != nil && res.Partial:
		cli.Fail(stderr, prog, "the capture is cut short before any HTTP message could be read: "+strings.Join(named(set, res.PartialBecause), "; ")+"; recapture or recover it")
		return cli.ExitError
	case errors.Is(err, httplat.ErrNoHTTP):
		cli.Fail(stderr, prog, cli.NoHTTPHint(opt))
		return cli.ExitError
	case err != nil:
		return x.Failed(ctx, err)
	}
	// The display filter selects the server's traffic, but a client on
	// the same address (or a server talking to itself) may also show up;
	// only the exact ip:port counts.
	srv := res.Lookup(netip.AddrPortFrom(ip, port))
	if srv == nil || srv.Counts.Matched == 0 {
		msg := cli.NoHTTPHint(opt)
		if srv != nil {
			msg = fmt.Sprintf("no HTTP response from %s matched a request (%d requests, %d unanswered); nothing to measure", srv.Server, srv.Counts.Requests, srv.Counts.UnmatchedRequests)
		}
		cli.Fail(stderr, prog, msg)
		return cli.ExitError
	}
	report.Classic(stdout, srv.Latency[httplat.TTFB])
	c := srv.Counts
	if c.UnmatchedRequests+c.OrphanResponses > 0 {
		fmt.Fprintf(stderr, "%s: note: %d of %d requests matched; %d unanswered, %d responses without a request (not in the figures)\n",
			prog, c.Matched, c.Requests, c.UnmatchedRequests, c.OrphanResponses)
	}
	if res.Partial {
		cli.Fail(stderr, prog, "partial result: "+strings.Join(named(set, res.PartialBecause), "; "))
		return cli.ExitPartial
	}
	return cli.ExitOK
}

// named quotes warnings with the capture as the user named it (a FIFO or
// stdin is read from a spooled copy whose path means nothing to them).
func named(set *input.Set, warnings []string) []string {
	out := make([]string, len(warnings))
	for i, w := range warnings {
		out[i] = set.Rename(w)
	}
	return out
}
