package chart

import (
	"math"
	"strings"
	"testing"
)

func tickLabels(lo, hi float64, duration bool) []string {
	var out []string
	for _, tk := range (logTicks{duration: duration}).Ticks(lo, hi) {
		if tk.Label != "" {
			out = append(out, tk.Label)
		}
	}
	return out
}

func TestLogTicks(t *testing.T) {
	t.Parallel()
	const day, year = 86400.0, 365.25 * 86400
	tests := []struct {
		name     string
		lo, hi   float64
		duration bool
		want     string // the labels, comma-separated; "" to check only the bounds
	}{
		{"under a decade", 0.011, 0.064, false, "0.02,0.05"},
		{"under a decade, durations", 0.011, 0.064, true, "20ms,50ms"},
		{"narrow: the ends", 0.0112, 0.0118, true, "11.2ms,11.8ms"},
		{"six decades: powers of ten", 1e-6, 1, false, "1e-6,1e-5,0.0001,0.001,0.01,0.1,1"},
		{"µs to a minute", 1e-6, 60, true, "1µs,100µs,10ms,1s,1min"},
		{"seconds to days", 1, 3 * day, true, "1s,10s,1min,10min,1h,1d"},
		{"µs to years", 1e-6, 2 * year, true, "1µs,100µs,10ms,1s,1min,1h,7d,1y"},
		{"600 decades", 1e-300, 1e300, false, ""},
		{"600 decades, durations", 1e-300, 1e300, true, ""},
		{"denormal", 5e-324, 2e-323, false, ""},
	}
	for _, tt := range tests {
		got := tickLabels(tt.lo, tt.hi, tt.duration)
		if tt.want != "" && strings.Join(got, ",") != tt.want {
			t.Errorf("%s: labels %v, want %s", tt.name, got, tt.want)
		}
		if len(got) < 2 || len(got) > maxLabels+2 {
			t.Errorf("%s: %d labels %v", tt.name, len(got), got)
		}
	}
	for _, bad := range [][2]float64{{0, 1}, {-1, 1}, {1, 1}, {2, 1}, {1, math.Inf(1)}, {math.NaN(), 1}} {
		if ts := (logTicks{}).Ticks(bad[0], bad[1]); ts != nil {
			t.Errorf("Ticks(%v) = %v, want none", bad, ts)
		}
	}
}

func TestNumberTicks(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct {
		lo, hi float64
		want   string
	}{
		{0, 52, "0,25,50"},
		{0, 0.08, "0.00,0.04,0.08"},
		{0, 1.02, "0.0,0.5,1.0"},
		{0, 3e7, "0,1e7,2e7,3e7"},
	} {
		var got []string
		for _, tk := range (numberTicks{}).Ticks(tt.lo, tt.hi) {
			if tk.Label != "" {
				got = append(got, tk.Label)
			}
		}
		if strings.Join(got, ",") != tt.want {
			t.Errorf("[%v, %v]: %v, want %s", tt.lo, tt.hi, got, tt.want)
		}
	}
}

func TestUnits(t *testing.T) {
	t.Parallel()
	const day, year = 86400.0, 365.25 * 86400
	for _, tt := range []struct {
		sec        float64
		dur, span  string
		latencyUse string
	}{
		{0, "0 s", "s", "s"},
		{38e-6, "38.0 µs", "µs", "µs"},
		{0.0112, "11.2 ms", "ms", "ms"},
		{0.204, "204 ms", "ms", "ms"},
		{2.5, "2.50 s", "s", "s"},
		{150, "2.50 min", "s", "s"},
		{2 * 3600, "2.00 h", "min", "s"},
		{3 * day, "3.00 d", "h", "s"},
		{400 * day, "1.10 y", "d", "s"},
		{30 * year, "30.0 y", "y", "s"},
	} {
		if got := fmtDuration(tt.sec); got != tt.dur {
			t.Errorf("fmtDuration(%v) = %q, want %q", tt.sec, got, tt.dur)
		}
		if got := spanUnit(tt.sec).name; got != tt.span {
			t.Errorf("spanUnit(%v) = %q, want %q", tt.sec, got, tt.span)
		}
		if got := latencyUnit(tt.sec).name; got != tt.latencyUse {
			t.Errorf("latencyUnit(%v) = %q, want %q", tt.sec, got, tt.latencyUse)
		}
	}
	if got := byteUnit(2.5e6).name; got != "MB" {
		t.Errorf("byteUnit(2.5e6) = %q", got)
	}
}

// TestTimeAxisLabel: a capture spanning days reads in hours since a clock
// time; times already relative (starting at 0) get no 1970 date.
func TestTimeAxisLabel(t *testing.T) {
	t.Parallel()
	days := &server{times: []float64{epoch, epoch + 3*86400}}
	if got, want := newTimeAxis([]*server{days}).label, "time since the first request, 2023-11-14 22:13:20 UTC (h)"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
	rel := &server{times: []float64{0, 20}}
	if got, want := newTimeAxis([]*server{rel}).label, "time since the first request (s)"; got != want {
		t.Errorf("label %q, want %q", got, want)
	}
}
