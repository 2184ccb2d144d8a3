package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/spf13/pflag"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/progress"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/chart"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
	"github.com/pcapmeter/pcapmeter/tshark"
)

const httpProg = "pcapmeter http"

const httpUsage = `pcapmeter http: HTTP request/response latency per server

Usage:
  pcapmeter http FILE... [flags]

Pairs every HTTP/1.x request with its response (first in, first out per TCP
connection, so pipelining pairs right), and reports per server: the classic
AVERAGE LATENCY / PERCENTILES / KL DIVERGENCE lines, then counts of matched,
unanswered and orphan messages, retransmissions and the latency spread.

Examples:
  pcapmeter http trace.pcapng
  pcapmeter http trace.pcapng --server 10.0.0.5 --port 8080
  pcapmeter http trace.pcapng --format json
  pcapmeter http trace.pcapng --format csv -o exchanges.csv
  pcapmeter http trace.pcapng --format jsonl        # one JSON object per exchange
  pcapmeter http trace.pcapng --latency ttlb --percentiles 50,90,99,99.9
  pcapmeter http trace.pcapng --filter 'http.request.method == "POST"' --client 10.0.0.7
  pcapmeter http trace.pcapng --from 2024-05-01T12:00:00Z --to 1714565100
  pcapmeter http trace.pcapng --crosscheck        # compare with tshark's own pairing
  pcapmeter http trace.pcapng --port 6000         # any port, decoded as HTTP
  pcapmeter http trace.pcapng --plot latency.svg  # a row of panels per server
  pcapmeter http trace.pcapng --fit --ci 95       # which model fits; bootstrap CIs

Flags:
`

// httpOptions are pcapmeter http's flags as given; build checks them and
// turns them into the measurement's options.
type httpOptions struct {
	server, port           string
	filter, from, to       string
	client                 string
	format, output         string
	latency, pairing       string
	crosscheck             bool
	percentiles            string
	klBuckets              int
	klBase                 string
	httpPorts              []string
	keylogs                []string
	tshark, tsharkOutput   string
	plot                   string
	fit                    bool
	ci                     float64
	histogram              string
	unit                   string
	top                    int
	interval               time.Duration
	jobs                   int
	quiet                  bool
	cpuprofile, memprofile string
	stats                  bool
}

// AddFlags defines the flags on fs.
func (o *httpOptions) AddFlags(fs *pflag.FlagSet) {
	fs.StringVar(&o.server, "server", "", "only this server `IP` (IPv4 or IPv6)")
	fs.StringVar(&o.port, "port", "", "only this server `PORT`; also decoded as HTTP whatever tshark thinks it is")
	fs.StringVar(&o.filter, "filter", "", "only exchanges whose request matches this tshark display `FILTER` (e.g. 'http.host contains \"api\"'); responses follow their request")
	fs.StringVar(&o.from, "from", "", "only exchanges whose request began at or after `TIME` (RFC 3339 or epoch seconds)")
	fs.StringVar(&o.to, "to", "", "only exchanges whose request began before `TIME` (RFC 3339 or epoch seconds)")
	fs.StringVar(&o.client, "client", "", "only exchanges of this client `IP`")
	fs.StringVarP(&o.format, "format", "f", "text", "output `format`: text, json (summary), csv or jsonl (one row / object per exchange)")
	fs.StringVarP(&o.output, "output", "o", "", "write the report to `FILE` instead of stdout")
	fs.StringVar(&o.latency, "latency", "ttfb", "headline latency `definition`: ttfb, ttlb or server")
	fs.StringVar(&o.pairing, "pairing", "tuple", "pairing `method`: tuple (FIFO per connection) or tshark (tshark's http.request_in links)")
	fs.BoolVar(&o.crosscheck, "crosscheck", false, "run both pairings and report where they disagree")
	fs.StringVar(&o.percentiles, "percentiles", "25,50,75,95,99", "nearest-rank percentiles to report, comma separated")
	fs.IntVar(&o.klBuckets, "kl-buckets", 10, "equal-width buckets from 0 to the maximum for the KL divergence")
	fs.StringVar(&o.klBase, "kl-base", "2", "logarithm base of the KL divergence: 2 (bits) or e (nats)")
	fs.StringSliceVar(&o.httpPorts, "http-port", nil, "extra TCP `PORT`s to decode as HTTP (repeatable)")
	fs.StringArrayVar(&o.keylogs, "keylog", nil, "TLS key log `FILE` to decrypt HTTPS and HTTP/2 with (repeatable; default $SSLKEYLOGFILE)")
	fs.StringVar(&o.tshark, "tshark", "", "tshark binary (default: $TSHARK, then tshark on PATH)")
	fs.StringVar(&o.tsharkOutput, "tshark-output", "columns", "how tshark prints fields: columns (fast) or fields")
	fs.StringVar(&o.plot, "plot", "", "draw latency panels per server (histogram + fitted densities, CDF, log-log tail, latency over time, requests/s and bytes/s over time) to `FILE`.svg or .png")
	fs.BoolVar(&o.fit, "fit", false, "fit exponential, lognormal, gamma, Weibull and Pareto models; report parameters, KL, KS, log-likelihood, AIC")
	fs.Float64Var(&o.ci, "ci", 0, "bootstrap confidence intervals at this `LEVEL` (e.g. 95) for the mean and each percentile")
	fs.StringVar(&o.histogram, "histogram", "log", "ASCII latency histogram in the text report: log, linear or off")
	fs.StringVar(&o.unit, "unit", "auto", "latency unit of the text report but the three classic lines (seconds): auto (per server), s, ms or us")
	fs.IntVar(&o.top, "top", 10, "servers with a detailed block, and URIs listed per server, busiest first")
	fs.DurationVar(&o.interval, "interval", time.Second, "bucket width of each server's rate time series (JSON and the --plot rate panels)")
	fs.IntVarP(&o.jobs, "jobs", "j", runtime.NumCPU(), "tshark processes at a time; above 1 the capture is split by TCP connection and the shards dissected in parallel (same results)")
	addQuietFlag(fs, &o.quiet)
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a Go CPU profile to `FILE` (for developers)")
	fs.StringVar(&o.memprofile, "memprofile", "", "write a Go heap profile, taken when the dissection ends, to `FILE` (for developers)")
	fs.BoolVar(&o.stats, "stats", false, "print wall time and peak memory of pcapmeter and of its tshark processes on stderr (for benchmarks)")
}

// build checks the flags and the capture arguments and returns the
// measurement's options and the report's settings; an error is a usage
// error. The checks run in the order the flags are listed in the help.
func (o *httpOptions) build(args []string) (httplat.Options, report.Params, error) {
	var opt httplat.Options
	if err := o.selection(args, &opt); err != nil {
		return opt, report.Params{}, err
	}
	params, err := o.figures(&opt)
	if err != nil {
		return opt, params, err
	}
	return opt, params, o.outputs(&opt)
}

// selection reads what to measure: the files, the server, the ports.
func (o *httpOptions) selection(args []string, opt *httplat.Options) error {
	if len(args) == 0 {
		return errors.New("no capture file given")
	}
	// The files are resolved once the signal context exists (prepare).
	opt.Files, opt.Tshark = args, o.tshark
	var err error
	if opt.Server, opt.Port, err = cli.ParseServer(o.server, o.port); err != nil {
		return err
	}
	for _, p := range o.httpPorts {
		n, err := cli.ParsePort(p)
		if err != nil {
			return err
		}
		opt.HTTPPorts = append(opt.HTTPPorts, n)
	}
	if opt.Select, err = o.choose(); err != nil {
		return err
	}
	opt.KeyLogs = o.keylogs
	if len(opt.KeyLogs) == 0 {
		if env := os.Getenv("SSLKEYLOGFILE"); env != "" {
			opt.KeyLogs = []string{env}
		}
	}
	return nil
}

// figures reads how to measure: definition, pairing, percentiles, KL, jobs.
func (o *httpOptions) figures(opt *httplat.Options) (report.Params, error) {
	var err error
	if opt.Definition, err = httplat.ParseDefinition(o.latency); err != nil {
		return report.Params{}, err
	}
	if opt.Pairing, err = http1.ParsePairing(o.pairing); err != nil {
		return report.Params{}, err
	}
	opt.Crosscheck = o.crosscheck
	if o.jobs < 1 || o.jobs > 256 {
		return report.Params{}, fmt.Errorf("invalid --jobs %d: give 1 to 256", o.jobs)
	}
	opt.Jobs = o.jobs
	if opt.Percentiles, err = cli.ParsePercentiles(o.percentiles); err != nil {
		return report.Params{}, err
	}
	base, unit, err := cli.ParseKLBase(o.klBase)
	if err != nil {
		return report.Params{}, err
	}
	if o.klBuckets < 1 || o.klBuckets > 10000 {
		return report.Params{}, fmt.Errorf("invalid --kl-buckets %d: give 1 to 10000", o.klBuckets)
	}
	opt.KL = stats.KLOptions{Buckets: o.klBuckets, Base: base}
	switch o.tsharkOutput {
	case "columns":
		opt.Mode = tshark.Columns
	case "fields":
		opt.Mode = tshark.Fields
	default:
		return report.Params{}, fmt.Errorf("invalid --tshark-output %q: give columns or fields", o.tsharkOutput)
	}
	return report.Params{KLBase: base, KLUnit: unit, KLBuckets: o.klBuckets, Histogram: o.histogram, Unit: o.unit, Top: o.top}, nil
}

// outputs reads what to produce: format, histogram, intervals, fits, plot.
func (o *httpOptions) outputs(opt *httplat.Options) error {
	switch o.format {
	case "text", "json", "csv", "jsonl":
	default:
		return fmt.Errorf("invalid --format %q: give text, json, csv or jsonl", o.format)
	}
	switch o.histogram {
	case "log", "linear", "off":
	default:
		return fmt.Errorf("invalid --histogram %q: give log, linear or off", o.histogram)
	}
	if o.ci != 0 && !(o.ci > 0 && o.ci < 100) {
		return fmt.Errorf("invalid --ci %v: give a level between 0 and 100, e.g. 95", o.ci)
	}
	opt.Fit, opt.CI = o.fit, o.ci
	if err := o.breakdown(opt); err != nil {
		return err
	}
	if o.plot != "" {
		if _, err := chart.Format(o.plot); err != nil {
			return err
		}
		opt.TimeSeries = true
	}
	return nil
}

// breakdown reads the breakdown's settings: --unit, --top, --interval.
func (o *httpOptions) breakdown(opt *httplat.Options) error {
	switch o.unit {
	case report.UnitAuto, report.UnitS, report.UnitMS, report.UnitUS:
	default:
		return fmt.Errorf("invalid --unit %q: give auto, s, ms or us", o.unit)
	}
	if o.top < 1 || o.top > 100000 {
		return fmt.Errorf("invalid --top %d: give 1 to 100000", o.top)
	}
	if o.interval < time.Millisecond {
		return fmt.Errorf("invalid --interval %v: give 1ms or more", o.interval)
	}
	opt.Top, opt.Interval = o.top, o.interval.Seconds()
	return nil
}

func runHTTP(args []string, stdout, stderr io.Writer) int {
	x := cli.Exit{Prog: httpProg, Stderr: stderr}
	var o httpOptions
	fs := newFlags(httpProg)
	o.AddFlags(fs)
	if code, done := parseFlags(fs, args, stdout, stderr, httpUsage); done {
		return code
	}
	opt, params, err := o.build(fs.Args())
	if err != nil {
		return x.Usage(err.Error())
	}
	ctx, stop := cli.SignalContext()
	defer stop()
	set, outs, code, ok := prepare(ctx, &x, opt.Files, false, stdout, o.output, o.plot, o.cpuprofile, o.memprofile)
	if !ok {
		return code
	}
	defer set.Close()
	defer outs.abort()
	opt.Files = set.Paths()
	out, err := openHTTPOutput(outs.writer(o.output), o.format)
	if err != nil {
		return x.Fail(err.Error())
	}
	defer out.abandon()
	opt.OnExchange = namedSink(set, out.onExchange())
	bar := startBar(ctx, stderr, o.quiet, "reading capture")
	opt.Progress = bar.BytesFunc()
	opt.Counted = exchangeCounter(bar)
	stopCPU := startCPUProfile(outs.writer(o.cpuprofile), o.cpuprofile)
	defer stopCPU()
	res, err := o.measure(ctx, opt, outs, stderr, bar)
	nameResult(set, res)
	var fe *httplat.FilterError
	if errors.As(err, &fe) {
		err = &cli.UsageError{Msg: fe.Error()}
	}
	if err != nil && !errors.Is(err, httplat.ErrNoHTTP) {
		return x.Failed(ctx, err)
	}
	noHTTP := err != nil
	if err := out.finish(res, params, noHTTP); err != nil {
		return x.Fail(err.Error())
	}
	code = httpExit(stderr, opt, res, noHTTP)
	if code != cli.ExitOK && code != cli.ExitPartial {
		return code
	}
	// The profile is complete only once stopped: before its commit.
	stopCPU()
	// The plot is held out of the commit and put in place (atomically)
	// once drawn: a picture is never worth the report, so a plot that
	// fails is a warning and leaves an old plot as it was.
	outs.hold(o.plot)
	if err := outs.commit(); err != nil {
		return x.Failed(ctx, err)
	}
	if o.plot != "" {
		plotWarning(stderr, httpProg, &res.Warnings, o.plot, func() error {
			return outs.put(o.plot, func() ([]byte, error) { return drawLatency(o.plot, res, opt.KL) })
		})
	}
	return code
}

// measure runs the measurement with what the developer flags ask for
// around it.
func (o *httpOptions) measure(ctx context.Context, opt httplat.Options, outs *outputs, stderr io.Writer, bar *progress.Bar) (*httplat.Result, error) {
	started := time.Now()
	res, err := httplat.Run(ctx, opt)
	bar.Stop()
	if o.memprofile != "" {
		pprof.Lookup("heap").WriteTo(outs.writer(o.memprofile), 0)
	}
	if o.stats {
		printStats(stderr, time.Since(started))
		if res != nil {
			for _, u := range res.Unsplit {
				fmt.Fprintf(stderr, "%s: %s\n", httpProg, u)
			}
		}
	}
	return res, err
}

// startCPUProfile starts a CPU profile to w (path "" for none) and
// returns what stops it (a second call does nothing).
func startCPUProfile(w io.Writer, path string) func() {
	if path == "" {
		return func() {}
	}
	pprof.StartCPUProfile(w)
	return pprof.StopCPUProfile
}

// httpExit says, once the report is written, whether it is the whole
// story: nothing found, a partial result, or all well.
func httpExit(stderr io.Writer, opt httplat.Options, res *httplat.Result, noHTTP bool) int {
	if noHTTP && res.Partial {
		cli.Fail(stderr, httpProg, "the capture is cut short before any HTTP message could be read: "+strings.Join(res.PartialBecause, "; ")+"; recapture or recover it")
		return cli.ExitError
	}
	if noHTTP {
		msg := cli.NoHTTPHint(opt)
		if h := cli.TLSHint(res); h != "" {
			msg = h
		}
		if h := selectionHint(res); h != "" {
			msg = h
		}
		if res.UDPIgnored > 0 {
			msg += fmt.Sprintf(" (%d HTTP-over-UDP messages were ignored)", res.UDPIgnored)
		}
		cli.Fail(stderr, httpProg, msg)
		return cli.ExitError
	}
	if res.Partial {
		cli.Fail(stderr, httpProg, "partial result: "+strings.Join(res.PartialBecause, "; "))
		return cli.ExitPartial
	}
	return cli.ExitOK
}

// exchangeCounter counts exchanges on the bar beside the bytes (nil
// without a bar). Shards count from several goroutines; the bar is told
// every exchange up to 256, then every 256th, so that a million exchanges
// do not take its lock a million times.
func exchangeCounter(bar *progress.Bar) func() {
	count := bar.CountFunc("exchanges")
	if count == nil {
		return nil
	}
	var n atomic.Int64
	var mu sync.Mutex
	shown := int64(0) // the bar never counts backwards
	return func() {
		if v := n.Add(1); v <= 256 || v%256 == 0 {
			mu.Lock()
			if v > shown {
				shown = v
				count(v)
			}
			mu.Unlock()
		}
	}
}
