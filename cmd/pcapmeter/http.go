package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"gonum.org/v1/gonum/stat/distuv"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/chart"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/stats"
	"github.com/pcapmeter/pcapmeter/tshark"
)

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
  pcapmeter http trace.pcapng --crosscheck        # compare with tshark's own pairing
  pcapmeter http trace.pcapng --port 6000         # any port, decoded as HTTP
  pcapmeter http trace.pcapng --plot latency.svg  # a row of panels per server
  pcapmeter http trace.pcapng --fit --ci 95       # which model fits; bootstrap CIs

Flags:
`

func runHTTP(args []string, stdout, stderr io.Writer) int {
	const prog = "pcapmeter http"
	fs := newFlags(prog)
	server := fs.String("server", "", "only this server `IP` (IPv4 or IPv6)")
	port := fs.String("port", "", "only this server `PORT`; also decoded as HTTP whatever tshark thinks it is")
	format := fs.StringP("format", "f", "text", "output `format`: text, json (summary), csv or jsonl (one row / object per exchange)")
	output := fs.StringP("output", "o", "", "write the report to `FILE` instead of stdout")
	latency := fs.String("latency", "ttfb", "headline latency `definition`: ttfb, ttlb or server")
	pairing := fs.String("pairing", "tuple", "pairing `method`: tuple (FIFO per connection) or tshark (tshark's http.request_in links)")
	crosscheck := fs.Bool("crosscheck", false, "run both pairings and report where they disagree")
	percentiles := fs.String("percentiles", "25,50,75,95,99", "nearest-rank percentiles to report, comma separated")
	klBuckets := fs.Int("kl-buckets", 10, "equal-width buckets from 0 to the maximum for the KL divergence")
	klBase := fs.String("kl-base", "2", "logarithm base of the KL divergence: 2 (bits) or e (nats)")
	httpPorts := fs.StringSlice("http-port", nil, "extra TCP `PORT`s to decode as HTTP (repeatable)")
	tsharkPath := fs.String("tshark", "", "tshark binary (default: $TSHARK, then tshark on PATH)")
	tsharkMode := fs.String("tshark-output", "columns", "how tshark prints fields: columns (fast) or fields")
	plotFile := fs.String("plot", "", "draw latency panels per server (histogram + fitted densities, CDF, log-log tail, latency over time) to `FILE`.svg or .png")
	fit := fs.Bool("fit", false, "fit exponential, lognormal, gamma, Weibull and Pareto models; report parameters, KL, KS, log-likelihood, AIC")
	ci := fs.Float64("ci", 0, "bootstrap confidence intervals at this `LEVEL` (e.g. 95) for the mean and each percentile")
	hist := fs.String("histogram", "log", "ASCII latency histogram in the text report: log, linear or off")
	jobs := fs.IntP("jobs", "j", runtime.NumCPU(), "tshark processes at a time; above 1 the capture is split by TCP connection and the shards dissected in parallel (same results)")
	quiet := fs.BoolP("quiet", "q", false, "no progress bar")
	cpuprofile := fs.String("cpuprofile", "", "write a Go CPU profile to `FILE` (for developers)")
	memprofile := fs.String("memprofile", "", "write a Go heap profile, taken when the dissection ends, to `FILE` (for developers)")
	statsFlag := fs.Bool("stats", false, "print wall time and peak memory of pcapmeter and of its tshark processes on stderr (for benchmarks)")
	if code, done := parseFlags(fs, args, stdout, stderr, httpUsage); done {
		return code
	}
	usageErr := func(msg string) int { return usageError(stderr, prog, msg) }
	files, err := cli.ExpandFiles(fs.Args())
	if err == nil {
		err = cli.CheckUnique(files)
	}
	if err != nil {
		return usageErr(err.Error())
	}
	opt := httplat.Options{Files: files, Tshark: *tsharkPath}
	if len(opt.Files) == 0 {
		return usageErr("no capture file given")
	}
	if opt.Server, opt.Port, err = cli.ParseServer(*server, *port); err != nil {
		return usageErr(err.Error())
	}
	for _, p := range *httpPorts {
		n, err := cli.ParsePort(p)
		if err != nil {
			return usageErr(err.Error())
		}
		opt.HTTPPorts = append(opt.HTTPPorts, n)
	}
	def, err := httplat.ParseDefinition(*latency)
	if err != nil {
		return usageErr(err.Error())
	}
	if opt.Pairing, err = http1.ParsePairing(*pairing); err != nil {
		return usageErr(err.Error())
	}
	opt.Crosscheck = *crosscheck
	if *jobs < 1 || *jobs > 256 {
		return usageErr(fmt.Sprintf("invalid --jobs %d: give 1 to 256", *jobs))
	}
	opt.Jobs = *jobs
	if !*quiet {
		opt.Progress = progressBar(stderr)
	}
	if opt.Percentiles, err = cli.ParsePercentiles(*percentiles); err != nil {
		return usageErr(err.Error())
	}
	base, unit, err := cli.ParseKLBase(*klBase)
	if err != nil {
		return usageErr(err.Error())
	}
	if *klBuckets < 1 || *klBuckets > 10000 {
		return usageErr(fmt.Sprintf("invalid --kl-buckets %d: give 1 to 10000", *klBuckets))
	}
	opt.KL = stats.KLOptions{Buckets: *klBuckets, Base: base}
	switch *tsharkMode {
	case "columns":
		opt.Mode = tshark.Columns
	case "fields":
		opt.Mode = tshark.Fields
	default:
		return usageErr(fmt.Sprintf("invalid --tshark-output %q: give columns or fields", *tsharkMode))
	}
	switch *format {
	case "text", "json", "csv", "jsonl":
	default:
		return usageErr(fmt.Sprintf("invalid --format %q: give text, json, csv or jsonl", *format))
	}
	switch *hist {
	case "log", "linear", "off":
	default:
		return usageErr(fmt.Sprintf("invalid --histogram %q: give log, linear or off", *hist))
	}
	if *ci != 0 && !(*ci > 0 && *ci < 100) {
		return usageErr(fmt.Sprintf("invalid --ci %v: give a level between 0 and 100, e.g. 95", *ci))
	}
	if *plotFile != "" {
		if _, err := chart.Format(*plotFile); err != nil {
			return usageErr(err.Error())
		}
		opt.TimeSeries = def
	}

	out := stdout
	var outFile *os.File
	if *output != "" && *output != "-" {
		if outFile, err = os.Create(*output); err != nil {
			cli.Fail(stderr, prog, fmt.Sprintf("cannot write %s: %v", *output, err))
			return cli.ExitError
		}
		defer outFile.Close()
		out = outFile
	}
	bw := bufio.NewWriter(out)
	defer bw.Flush()

	var csvw *report.CSV
	if *format == "csv" {
		if csvw, err = report.NewCSV(bw); err != nil {
			cli.Fail(stderr, prog, err.Error())
			return cli.ExitError
		}
		opt.OnExchange = csvw.Write
	}
	if *format == "jsonl" {
		opt.OnExchange = report.NewJSONL(bw).Write
	}

	ctx, stop := cli.SignalContext()
	defer stop()
	if *cpuprofile != "" {
		if f, err := os.Create(*cpuprofile); err == nil {
			pprof.StartCPUProfile(f)
			defer func() { pprof.StopCPUProfile(); f.Close() }()
		}
	}
	started := time.Now()
	res, err := httplat.Run(ctx, opt)
	finishProgress(stderr)
	if *memprofile != "" {
		if f, err := os.Create(*memprofile); err == nil {
			pprof.Lookup("heap").WriteTo(f, 0)
			f.Close()
		}
	}
	if *statsFlag {
		printStats(stderr, time.Since(started))
	}
	if err != nil && !errors.Is(err, httplat.ErrNoHTTP) {
		if ctx.Err() != nil {
			cli.Fail(stderr, prog, "interrupted; tshark stopped, no report")
			return cli.ExitInterrupted
		}
		cli.Fail(stderr, prog, cli.Describe(err))
		return cli.ExitError
	}
	res.Definition = def
	params := report.Params{KLBase: base, KLUnit: unit, KLBuckets: *klBuckets, Histogram: *hist}
	if err == nil {
		httplat.Enrich(res, def, *fit, *ci, opt.Percentiles, opt.KL)
		if *plotFile != "" {
			if perr := drawLatency(*plotFile, res, def, opt.KL); perr != nil {
				cli.Fail(stderr, prog, fmt.Sprintf("drawing %s: %v", *plotFile, perr))
				return cli.ExitError
			}
		}
	}
	noHTTP := errors.Is(err, httplat.ErrNoHTTP)
	switch *format {
	case "text":
		if !noHTTP {
			report.Text(bw, res, params)
		}
	case "json":
		err = report.JSON(bw, res, params)
	case "csv":
		err = csvw.Flush()
	}
	if err == nil {
		err = bw.Flush()
	}
	if err != nil && !noHTTP {
		cli.Fail(stderr, prog, fmt.Sprintf("writing the report: %v", err))
		return cli.ExitError
	}
	if outFile != nil {
		if err := outFile.Close(); err != nil {
			cli.Fail(stderr, prog, fmt.Sprintf("writing %s: %v", *output, err))
			return cli.ExitError
		}
	}
	if noHTTP {
		msg := cli.NoHTTPHint(opt)
		if res.UDPIgnored > 0 {
			msg += fmt.Sprintf(" (%d HTTP-over-UDP messages were ignored)", res.UDPIgnored)
		}
		cli.Fail(stderr, prog, msg)
		return cli.ExitError
	}
	if res.Partial {
		cli.Fail(stderr, prog, "partial result: "+strings.Join(res.Warnings, "; "))
		return cli.ExitPartial
	}
	return cli.ExitOK
}

// drawLatency draws the latency page: one row per server (the busiest
// chart.MaxRows), with the exponential model of the KL figure and the best
// fitted model over the histogram.
func drawLatency(path string, res *httplat.Result, def httplat.Definition, kl stats.KLOptions) error {
	var sets []chart.LatencySet
	for _, s := range res.Servers {
		xs := s.Samples[def]
		if len(xs) == 0 || len(s.Times) != len(xs) {
			continue
		}
		// Times are sorted: the first is the earliest request.
		times := make([]float64, len(s.Times))
		for i, t := range s.Times {
			times[i] = t - s.Times[0]
		}
		set := chart.LatencySet{
			Title: fmt.Sprintf("%s, %s (%s)", s.Server, def, def.Describe()), Unit: "s", Samples: xs, Times: times, TimeSamples: s.TimeSamples,
		}
		if mean := s.Latency[def].Mean; mean > 0 {
			exp := distuv.Exponential{Rate: 1 / mean}
			set.Densities = append(set.Densities, chart.Density{Name: "exponential (rate 1/mean)", PDF: exp.Prob})
		}
		fits := s.Fit
		if fits == nil { // --plot without --fit: fit for the picture only
			fits, _ = stats.Fit(xs, kl)
		}
		if len(fits) > 0 && fits[0].Name != "exponential" {
			best := fits[0]
			set.Densities = append(set.Densities, chart.Density{Name: "best fit: " + best.Name, PDF: best.PDF})
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		return fmt.Errorf("no matched exchange to draw")
	}
	return chart.LatencyPage(path, sets)
}
