// Package httplat is the HTTP latency measurement that both binaries
// (pcapmeter http and measure-webserver) run. Run checks the captures,
// runs tshark over each file, pairs requests with responses and
// aggregates latencies per server; the Result it returns is complete
// (summaries, KL, fits and confidence intervals for the headline
// definition, the cross-check), so the front ends only print it.
//
// Where things are:
//   - options.go, result.go: what goes in and what comes out.
//   - run.go: Run, the version check beside the first dissection, and
//     per-file reports.
//   - files.go: files side by side, the per-exchange sink kept in the
//     order the files were given, summed progress.
//   - file.go: one file's run (fileRun): pass 1 (split by connection or
//     by one tshark), pass 2 for connections a capture gap stalled, and
//     where every exchange goes (emit).
//   - pairers.go: one tshark run's pairers, for the selected pairing and
//     the cross-check's other one, and what they leave besides exchanges.
//   - sharded.go: a file split into flow shards dissected in parallel,
//     merged back into single-run order.
//   - aggregate.go, enrich.go, crosscheck.go: per-server figures, model
//     fits and bootstrap intervals, the comparison of the two pairings.
//   - spill.go: exchanges that wait their turn on disk.
//
// The HTTP/1.x specifics (columns, conversion, pairing) are in
// internal/http1; httplat sees only internal/exchange's Exchanges past the
// pairers, so another HTTP version's pairing plugs in beside http1.
package httplat

import (
	"errors"
	"fmt"
	"github.com/pcapmeter/pcapmeter/internal/keylog"
	"net/netip"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
	"github.com/pcapmeter/pcapmeter/stats"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Definition names a latency definition.
type Definition string

// The latency definitions every report names.
const (
	TTFB   Definition = "ttfb"   // request first byte → response first byte
	TTLB   Definition = "ttlb"   // request first byte → response last byte
	Server Definition = "server" // request last byte → response first byte
)

// Definitions lists them in report order.
var Definitions = []Definition{TTFB, TTLB, Server}

// ParseDefinition validates a --latency value.
func ParseDefinition(s string) (Definition, error) {
	for _, d := range Definitions {
		if string(d) == s {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown latency definition %q: want ttfb, ttlb or server", s)
}

// Value returns the exchange's latency under d, in seconds.
func (d Definition) Value(e *exchange.Exchange) float64 {
	switch d {
	case TTLB:
		return e.TTLB()
	case Server:
		return e.ServerTime()
	}
	return e.TTFB()
}

// Options configure one measurement.
type Options struct {
	Files []string
	// Server and Port restrict the analysis; zero values mean any.
	Server netip.Addr
	Port   uint16
	// HTTPPorts are decoded as HTTP on top of tshark's defaults (Port is
	// added automatically).
	HTTPPorts  []uint16
	Pairing    http1.Pairing // "" means tuple
	Crosscheck bool
	// Definition is the headline latency definition ("" means TTFB): the
	// one reports lead with and Fit, CI and TimeSeries are computed for.
	Definition  Definition
	Percentiles []float64 // nil means stats.DefaultPercentiles
	KL          stats.KLOptions
	// Fit fits the latency models (stats.Fit) to each server's latencies.
	Fit bool
	// CI, above 0 and below 100, adds bootstrap confidence intervals at
	// that level for the mean and each percentile; 0 means none.
	CI float64
	// TimeSeries keeps each server's latencies in request-time order
	// (ServerResult.Times, TimeSamples), for the latency-over-time plot.
	TimeSeries bool
	// Top is how many URIs each server's breakdown lists (0: 10);
	// Interval its rate time series' bucket width in seconds (0: 1).
	Top      int
	Interval float64
	Tshark   string // binary to run; found with tshark.Locate when empty
	Mode     tshark.OutputMode
	// Jobs > 1 splits each capture by TCP connection and dissects the
	// shards with that many tshark processes at a time (or runs that many
	// files side by side). Below 1 means 1.
	Jobs int
	// Progress, if set, is told how many bytes of the current file the
	// flow splitter has read, of how many.
	Progress func(done, total int64)
	// Counted, if set, is called once per exchange measured (of the
	// selected pairing, selection applied), from whichever goroutine
	// measured it: a progress display counts exchanges with it, at no
	// cost when unset.
	Counted func()
	// OnExchange, if set, sees every exchange (of the selected pairing)
	// as soon as it is complete; it is how CSV output streams.
	OnExchange func(file string, e *exchange.Exchange) error
	// shardPackets is ShardPackets unless a test asks for fewer, to force
	// many shards and so several passes over a small file; an option, not
	// a package variable, so that such tests can run in parallel.
	shardPackets int64
	// whole sends pass 1 every packet of the file, as tshark reads it,
	// instead of through the splitter with plain ACKs left out
	// (shard.Out.Thin); tests compare the two.
	whole bool
	// KeyLogs are TLS key log files (NSS format: SSLKEYLOGFILE, Go's
	// tls.Config.KeyLogWriter) tshark decrypts TLS with; all of them
	// count.
	KeyLogs []string
	// Select narrows the measurement to some exchanges (selection.go).
	Select Selection

	keylog *keylog.File // the one file tshark reads, made by Run
}

// normalize fills in the defaults and refuses values that would make the
// figures meaningless, before anything runs.
func (o *Options) normalize() error {
	if len(o.Files) == 0 {
		return errors.New("no capture file given")
	}
	if o.Pairing == "" {
		o.Pairing = http1.PairTuple
	}
	if o.Definition == "" {
		o.Definition = TTFB
	}
	if _, err := ParseDefinition(string(o.Definition)); err != nil {
		return err
	}
	o.Jobs = max(1, o.Jobs)
	if o.shardPackets == 0 {
		o.shardPackets = ShardPackets
	}
	if o.Percentiles == nil {
		o.Percentiles = stats.DefaultPercentiles
	}
	if o.KL.Buckets == 0 {
		o.KL = stats.DefaultKL
	}
	if err := stats.ValidatePercentiles(o.Percentiles); err != nil {
		return err
	}
	if _, err := stats.KLExponential([]float64{1}, o.KL); err != nil {
		return err
	}
	if o.Select.From != nil && o.Select.To != nil && *o.Select.To <= *o.Select.From {
		return fmt.Errorf("--to %s is not after --from %s", o.Select.To.RFC3339(), o.Select.From.RFC3339())
	}
	if o.CI != 0 && !(o.CI > 0 && o.CI < 100) {
		return fmt.Errorf("confidence level %v: want above 0 and below 100", o.CI)
	}
	return nil
}

// modes are the pairings a run pairs with: the selected one, whose
// exchanges count, and under Crosscheck the other one after it.
func (o *Options) modes() []http1.Pairing {
	if !o.Crosscheck {
		return []http1.Pairing{o.Pairing}
	}
	if o.Pairing == http1.PairTshark {
		return []http1.Pairing{http1.PairTshark, http1.PairTuple}
	}
	return []http1.Pairing{http1.PairTuple, http1.PairTshark}
}

// Errors callers branch on.
var (
	// ErrNoHTTP says that the capture holds no HTTP exchange for the
	// selection; the result is still returned for its counts.
	ErrNoHTTP = errors.New("no HTTP exchange found")
)
