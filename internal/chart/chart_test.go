package chart

import (
	"bytes"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/stats"
	"gonum.org/v1/gonum/stat/distuv"
	"gonum.org/v1/plot/vg"
)

// svgText returns every text string drawn in an SVG file, one per line,
// and fails the test if the file is not well-formed XML.
func svgText(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(data))
	var b strings.Builder
	inText := false
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("%s is not well-formed XML: %v", path, err)
		}
		switch v := tok.(type) {
		case xml.StartElement:
			inText = v.Name.Local == "text"
		case xml.EndElement:
			inText = false
		case xml.CharData:
			if inText {
				b.Write(v)
				b.WriteByte('\n')
			}
		}
	}
	return b.String()
}

// lines counts the drawn text strings equal to s.
func lines(text, s string) int {
	n := 0
	for _, l := range strings.Split(text, "\n") {
		if l == s {
			n++
		}
	}
	return n
}

const epoch = 1.7e9 // 2023-11-14, Unix seconds, as httplat gives times

// lognormal is a server with n lognormal latencies around 11 ms, one
// request every 10 ms, with its time series and model densities.
func lognormal(n int, label string) Server {
	r := rand.New(rand.NewPCG(1, uint64(n)))
	d := distuv.LogNormal{Mu: -4.5, Sigma: 0.6}
	s := Server{Label: label, Times: make([]float64, n), TimeLatencies: make([]float64, n)}
	for i := range n {
		s.Times[i] = epoch + float64(i)*0.01 + r.Float64()*0.001
		s.TimeLatencies[i] = math.Exp(d.Mu + d.Sigma*r.NormFloat64())
	}
	s.Sorted = slices.Sorted(slices.Values(s.TimeLatencies))
	exp := distuv.Exponential{Rate: 1 / 0.012}
	s.Densities = []Density{{Name: "exponential (rate 1/mean)", PDF: exp.Prob}, {Name: "best fit: lognormal", PDF: d.Prob}}
	return s
}

// withTimes gives xs (in that order) one request per second.
func withTimes(label string, xs ...float64) Server {
	s := Server{Label: label, Sorted: xs, TimeLatencies: xs}
	for i := range xs {
		s.Times = append(s.Times, epoch+float64(i))
	}
	return s
}

func nan() float64 { return math.NaN() }

// TestAdversarialSamples draws sample sets that broke or could break a
// panel (the log-log tail panicked on a zero latency, on 6 of the shared
// HTTP captures): every one must give a well-formed file with the page
// title said once, and no error, which also proves no panic was caught.
func TestAdversarialSamples(t *testing.T) {
	t.Parallel()
	inf := math.Inf(1)
	tests := []struct {
		name   string
		s      Server
		notice string // a panel note the reader must see, if any
		png    bool   // PNG takes another path through gonum (vgimg); one case suffices, at 1 s under -race
	}{
		{"one sample", withTimes("a", 0.0011), "", false},
		{"one zero", withTimes("a", 0), "1 of 1 latencies ≤ 0 not on the log axes", false},
		{"zero and one", withTimes("a", 0, 0.22), "1 of 2 latencies ≤ 0 not on the log axes", true},
		{"all equal", withTimes("a", 0.003, 0.003, 0.003, 0.003), "", false},
		{"all zero", withTimes("a", 0, 0, 0), "3 of 3 latencies ≤ 0 not on the log axes", false},
		{"negative", withTimes("a", -0.5, -0.001, 0.002, 0.004), "2 of 4 latencies ≤ 0 not on the log axes", false},
		{"all negative", withTimes("a", -2, -1), "", false},
		{"NaN and Inf", withTimes("a", nan(), 0.01, inf, -inf, 0.02), "3 NaN or infinite latencies left out", false},
		{"only NaN", withTimes("a", nan(), nan()), "", false},
		{"absurd", withTimes("a", 1e305, 0.01, -1e306), "2 NaN or infinite latencies left out", false},
		{"huge span", withTimes("a", 1e-300, 1e-9, 1, 1e300), "", false},
		{"denormal", withTimes("a", 5e-324, 5e-324), "", false},
		{"unsorted", Server{Label: "a", Sorted: []float64{0.3, 0.1, 0.2}}, "no request times given", false},
		{"times absurd", Server{Label: "a", Sorted: []float64{0.1, 0.2}, Times: []float64{nan(), 1e299, -1e299}, TimeLatencies: []float64{0.1, 0.2}}, "", false},
		{"times span years", Server{Label: "a", Sorted: []float64{0.1, 0.2}, Times: []float64{0, 30 * 365.25 * 86400}, TimeLatencies: []float64{0.1, 0.2}}, "", false},
		{"densities misbehave", Server{Label: "a", Sorted: []float64{0, 0.1, 0.2}, Densities: []Density{
			{Name: "nan", PDF: func(float64) float64 { return math.NaN() }},
			{Name: "inf", PDF: func(x float64) float64 { return 1 / x }},
			{Name: "negative", PDF: func(float64) float64 { return -1 }},
			{Name: "nil"},
		}}, "", false},
		{"rate misbehaves", Server{Label: "a", Sorted: []float64{0.1}, Rate: &Rate{Start: nan(), Interval: 0, Requests: []float64{1}}}, "no rate series given", false},
		{"rate NaN counts", Server{Label: "a", Sorted: []float64{0.1}, Rate: &Rate{Start: epoch, Interval: 1, Requests: []float64{nan(), 3, inf}, Bytes: []float64{-1, nan()}}}, "", false},
		{"rate negative interval", Server{Label: "a", Sorted: []float64{0.1}, Rate: &Rate{Start: epoch, Interval: -1, Requests: []float64{2}}}, "no rate series given", false},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			path := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".svg")
			title := "adversarial page " + tt.name
			if err := (LatencyFigure{Title: title, Servers: []Server{tt.s}}).Write(path); err != nil {
				t.Fatal(err)
			}
			text := svgText(t, path)
			if n := lines(text, title); n != 1 {
				t.Errorf("page title drawn %d times", n)
			}
			if tt.notice != "" && !strings.Contains(text, tt.notice) {
				t.Errorf("no notice %q in\n%s", tt.notice, text)
			}
			if tt.png {
				checkPNG(t, strings.TrimSuffix(path, ".svg")+".png", LatencyFigure{Title: title, Servers: []Server{tt.s}})
			}
		})
	}
}

func checkPNG(t *testing.T, path string, f LatencyFigure) {
	t.Helper()
	if err := f.Write(path); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(data))
	if err != nil || img.Bounds().Dx() != int(pageWidth/vg.Inch*DPI) {
		t.Fatalf("%s: %v, %v", path, err, img.Bounds())
	}
}

// TestPageStructure checks what a reader finds in the SVG: one page
// title, one label per server carrying its figures, each panel once per
// server, units on the axes, p50 and p99 marked with the report's
// nearest-rank values, the models named, and the rate panels.
func TestPageStructure(t *testing.T) {
	t.Parallel()
	a, b := lognormal(3000, "10.0.0.5:80 (example.com)"), lognormal(400, "[2001:db8::1]:8080")
	a.Rate = &Rate{Start: epoch, Interval: 1, Requests: []float64{100, 98, 102}, Bytes: []float64{2e6, 1e6, 3e6}, BytesLabel: "response bytes"}
	path := filepath.Join(t.TempDir(), "lat.svg")
	title := "HTTP latency: ttfb (request first byte → response first byte) · x.pcapng"
	if err := (LatencyFigure{Title: title, Servers: []Server{a, b}}).Write(path); err != nil {
		t.Fatal(err)
	}
	text := svgText(t, path)
	if n := lines(text, title); n != 1 {
		t.Errorf("page title drawn %d times, want once", n)
	}
	for _, s := range []Server{a, b} {
		p50 := s.Sorted[stats.NearestRank(50, len(s.Sorted))-1]
		p99 := s.Sorted[stats.NearestRank(99, len(s.Sorted))-1]
		for _, want := range []string{"p50 = " + fmtDuration(p50), "p99 = " + fmtDuration(p99)} {
			if n := lines(text, want); n != 1 {
				t.Errorf("%s: mark %q drawn %d times, want once", s.Label, want, n)
			}
		}
		label := s.Label + " · n = " + itoa(len(s.Sorted)) + " · p50 " + fmtDuration(p50)
		if n := strings.Count(text, label); n != 1 {
			t.Errorf("server label %q drawn %d times", label, n)
		}
	}
	for want, n := range map[string]int{
		"Histogram": 2, "CDF": 2, "Tail: P(latency ≥ x), log-log": 2, "Latency over time": 2,
		"Requests (per second)": 1, "Throughput: response bytes (per second)": 1, "MB/s": 1,
		"latency (ms)": 6, "density (1/ms)": 2, "exponential (rate 1/mean)": 2, "best fit: lognormal": 2,
		"time since the first request, 2023-11-14 22:13:20 UTC (s)": 4,
	} {
		if got := lines(text, want); got != n {
			t.Errorf("%q drawn %d times, want %d", want, got, n)
		}
	}
	if strings.Contains(text, "10ms") == false {
		t.Error("the tail's duration ticks are missing")
	}
	raw, _ := os.ReadFile(path)
	if bytes.Contains(raw, []byte("font-family:Liberation Sans;")) || !bytes.Contains(raw, []byte("Arimo,Arial,Helvetica,sans-serif")) {
		t.Error("SVG names Liberation Sans without a metric-compatible fallback")
	}
}

func itoa(n int) string { return fmtNumber(float64(n)) }

// TestThinningKeepsExtremes is the 260k-exchange case: the tail stopped
// near 0.1 s though the maximum was 0.22 s, because thinning kept every
// k-th point. The thinned tail, over-time and rate series must keep the
// maximum (and the over-time one the minimum) and stay small.
func TestThinningKeepsExtremes(t *testing.T) {
	t.Parallel()
	s := lognormal(260_000, "busy")
	s.TimeLatencies[123_457] = 0.22
	s.TimeLatencies[200_001] = 1e-6
	s.Sorted = slices.Sorted(slices.Values(s.TimeLatencies))
	c := newServer(s)
	n := len(c.sorted)

	tail := tailPoints(c.sorted, n)
	if last := tail[len(tail)-1]; last.X != 0.22 || last.Y != 1/float64(n) {
		t.Errorf("tail ends at %v, want the maximum 0.22 at 1/n", last)
	}
	if tail[0].X != 1e-6 || len(tail) > 2*cdfRes+2 {
		t.Errorf("tail starts at %v with %d points", tail[0], len(tail))
	}

	ta := newTimeAxis([]*server{c})
	pts := overTimePoints(c.times, c.lats, ta, unit{"s", 1})
	ys := make([]float64, len(pts))
	for i, p := range pts {
		ys[i] = p.Y
	}
	if slices.Max(ys) != 0.22 || slices.Min(ys) != 1e-6 || len(pts) > overTimeTarget+2*overTimeBuckets {
		t.Errorf("over time: max %v, min %v, %d points", slices.Max(ys), slices.Min(ys), len(pts))
	}

	counts := make([]float64, 86400) // a day at 1 s, one burst
	for i := range counts {
		counts[i] = 10
	}
	counts[55_555] = 900
	r := &Rate{Start: epoch, Interval: 1, Requests: counts}
	rp, thinned := ratePoints(r, counts, ta, unit{"", 1})
	peak := 0.0
	for _, p := range rp {
		peak = math.Max(peak, p.Y)
	}
	if !thinned || peak != 900 || len(rp) > rateTarget+2*rateBuckets {
		t.Errorf("rate: thinned %v, peak %v, %d points", thinned, peak, len(rp))
	}
}

func TestThinCurveBounded(t *testing.T) {
	t.Parallel()
	// A monotone curve with a jump at the end: the jump's far point (the
	// maximum) must survive and the count stay bounded.
	n := 100_000
	idx := thinCurve(n, 100, func(i int) (float64, float64) {
		x := float64(i)
		if i == n-1 {
			x = 1e6
		}
		return x, float64(i) / float64(n)
	})
	if idx[0] != 0 || idx[len(idx)-1] != n-1 || len(idx) > 202 || !slices.IsSorted(idx) {
		t.Errorf("%d points, first %d, last %d", len(idx), idx[0], idx[len(idx)-1])
	}
	if got := thinCurve(5, 100, func(i int) (float64, float64) { return 0, 0 }); len(got) != 5 {
		t.Errorf("a short curve was thinned to %v", got)
	}
}
