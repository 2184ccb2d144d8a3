package httplat

import (
	"context"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/faketshark"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func TestMain(m *testing.M) {
	faketshark.Main()
	testutil.NoRaceExitSleep()
	// The project's captures are small; the split paths are tested by
	// forcing --jobs shards whatever the size (TestShardCount checks the
	// rule itself).
	minShardPackets = 0
	os.Exit(m.Run())
}

// outcome is one run's result and every exchange it reported, in order.
type outcome struct {
	exs []exchange.Exchange
	// counted is how many times Options.Counted was called.
	counted int64
	res     *Result
	warns   string
	err     error
}

// run runs the pipeline with jobs and collects what it reports.
func run(opt Options, jobs int) outcome {
	var o outcome
	opt.Jobs = jobs
	var counted atomic.Int64
	opt.Counted = func() { counted.Add(1) }
	opt.OnExchange = func(_ string, e *exchange.Exchange) error {
		o.exs = append(o.exs, *e)
		return nil
	}
	o.res, o.err = Run(context.Background(), opt)
	o.counted = counted.Load()
	if o.res != nil {
		o.warns = strings.Join(o.res.Warnings, "; ")
	}
	return o
}

// runJobs is run for a test, which fails on any error but ErrNoHTTP.
func runJobs(t *testing.T, opt Options, jobs int) outcome {
	t.Helper()
	testutil.Tshark(t)
	o := run(opt, jobs)
	if o.err != nil && o.err != ErrNoHTTP {
		t.Fatalf("jobs %d: %v", jobs, o.err)
	}
	return o
}

// sharedRuns holds the runs several tests make, one tshark per distinct
// set of options: tests that assert different things about the same run
// share it. Shared runs use --crosscheck, which adds the other pairing's
// comparison and changes nothing the selected pairing reports.
var sharedRuns sync.Map // key → *sharedRun

type sharedRun struct {
	once sync.Once
	o    outcome
}

// shared is runJobs, with --crosscheck, for a run other tests may make
// too. Only the options in the key may be set.
func shared(t *testing.T, opt Options, jobs int) outcome {
	t.Helper()
	testutil.Tshark(t)
	key := fmt.Sprintf("%q %v %d %v %d %s %d %q", opt.Files, opt.Server, opt.Port, opt.HTTPPorts, opt.Mode, opt.Pairing, max(1, jobs), opt.KeyLogs)
	opt.Crosscheck = true
	v, _ := sharedRuns.LoadOrStore(key, &sharedRun{})
	sr := v.(*sharedRun)
	sr.once.Do(func() { sr.o = run(opt, jobs) })
	if sr.o.err != nil && sr.o.err != ErrNoHTTP {
		t.Fatalf("jobs %d: %v", jobs, sr.o.err)
	}
	return sr.o
}

// measure runs the pipeline (a shared run) and collects every exchange by
// request URI (orphans under "orphan#N").
func measure(t *testing.T, opt Options) (*Result, map[string]exchange.Exchange) {
	return measureURIs(t, opt, true)
}

// measureURIs is measure; unique says that URIs identify requests (true
// for the project's own captures, whose URIs are numbered).
func measureURIs(t *testing.T, opt Options, unique bool) (*Result, map[string]exchange.Exchange) {
	t.Helper()
	o := shared(t, opt, 1)
	if o.err != nil {
		t.Fatalf("Run(%v): %v", opt.Files, o.err)
	}
	exs := map[string]exchange.Exchange{}
	n := 0
	for _, e := range o.exs {
		k := e.URI
		if e.Kind == exchange.Orphan {
			n++
			k = "orphan#" + string(rune('0'+n))
		}
		if _, dup := exs[k]; dup && unique {
			t.Errorf("exchange %q reported twice", k)
		}
		exs[k] = e
	}
	return o.res, exs
}

// same checks that two runs agree on every exchange (in order) and every
// reported number.
func same(t *testing.T, name string, a, b outcome) {
	t.Helper()
	if !slices.Equal(a.exs, b.exs) {
		t.Errorf("%s: exchanges differ (%d vs %d)", name, len(a.exs), len(b.exs))
		for i := range min(len(a.exs), len(b.exs)) {
			if a.exs[i] != b.exs[i] {
				t.Errorf("first difference at %d:\n%+v\n%+v", i, a.exs[i], b.exs[i])
				break
			}
		}
	}
	if a.res.Total != b.res.Total || a.res.UDPIgnored != b.res.UDPIgnored || a.res.Estimated != b.res.Estimated ||
		a.res.Partial != b.res.Partial || len(a.res.Servers) != len(b.res.Servers) {
		t.Errorf("%s: totals %+v vs %+v", name, a.res.Total, b.res.Total)
		return
	}
	for i := range a.res.Servers {
		sa, sb := a.res.Servers[i], b.res.Servers[i]
		if sa.Server != sb.Server || sa.Counts != sb.Counts {
			t.Errorf("%s: server %v %+v vs %v %+v", name, sa.Server, sa.Counts, sb.Server, sb.Counts)
		}
		for _, d := range Definitions {
			la, lb := sa.Latency[d], sb.Latency[d]
			if la.Mean != lb.Mean || la.KL != lb.KL || !slices.Equal(la.Percentiles, lb.Percentiles) {
				t.Errorf("%s: %v %s latency differs", name, sa.Server, d)
			}
		}
	}
}

func within(got, want, rel float64) bool { return math.Abs(got-want) <= rel*math.Abs(want) }

// TestCountsAddEveryField: totals and merged files add every tally, also
// one added to Counts later.
func TestCountsAddEveryField(t *testing.T) {
	t.Parallel()
	var one, sum Counts
	v := reflect.ValueOf(&one).Elem()
	for i := 0; i < v.NumField(); i++ {
		v.Field(i).SetInt(int64(i + 1))
	}
	sum.add(one)
	sum.add(one)
	got := reflect.ValueOf(sum)
	for i := 0; i < got.NumField(); i++ {
		if got.Field(i).Int() != 2*int64(i+1) {
			t.Errorf("%s not added", got.Type().Field(i).Name)
		}
	}
}
