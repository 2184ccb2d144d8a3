package chart

import (
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/stat/distuv"
)

// svgText returns every text string drawn in an SVG file.
func svgText(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dec := xml.NewDecoder(f)
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

func set(n int) LatencySet {
	r := rand.NewPCG(3, 4)
	d := distuv.LogNormal{Mu: -4, Sigma: 0.5, Src: r}
	s := LatencySet{Title: "10.0.0.5:80, ttfb (request first byte -> response first byte)", Unit: "s"}
	for i := 0; i < n; i++ {
		s.Samples = append(s.Samples, d.Rand())
		s.Times = append(s.Times, float64(i)*0.001)
	}
	exp := distuv.Exponential{Rate: 50}
	s.Densities = []Density{{Name: "exponential (rate 1/mean)", PDF: exp.Prob}, {Name: "best fit: lognormal", PDF: d.Prob}}
	return s
}

// TestLatencyPageStructure checks what a reader needs to find in the SVG:
// all four panels titled with server and latency definition, axis labels
// with units, and the legend naming the models.
func TestLatencyPageStructure(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lat.svg")
	other := set(300)
	other.Title = "[2001:db8::1]:8080, ttlb (request first byte -> response last byte)"
	if err := LatencyPage(path, []LatencySet{set(500), other}); err != nil {
		t.Fatal(err)
	}
	text := svgText(t, path)
	for _, want := range []string{
		"Latency histogram", "Empirical CDF", "Tail: P(latency > x), log-log", "Latency over capture time",
		"10.0.0.5:80, ttfb", "[2001:db8::1]:8080, ttlb", "latency (s)", "density (1/s)",
		"request time since first request (s)", "exponential (rate 1/mean)", "best fit: lognormal",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
	if n := strings.Count(text, "Latency histogram"); n != 2 {
		t.Errorf("%d histogram panels for 2 servers", n)
	}
}

func TestLatencyPageSizes(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []int{1, 1_000_000} {
		path := filepath.Join(dir, "p.png")
		if err := LatencyPage(path, []LatencySet{set(n)}); err != nil {
			t.Fatalf("%d samples: %v", n, err)
		}
		f, _ := os.Open(path)
		img, err := png.Decode(f)
		f.Close()
		if err != nil || img.Bounds().Dx() < 1000 {
			t.Fatalf("%d samples: %v %v", n, err, img.Bounds())
		}
	}
	if err := LatencyPage(filepath.Join(dir, "x.pdf"), []LatencySet{set(3)}); err == nil {
		t.Error("a .pdf name was accepted")
	}
}

func TestCDFPage(t *testing.T) {
	path := filepath.Join(t.TempDir(), "s.svg")
	err := CDFPage(path, []Sample{
		{Title: "Packet size CDF", XLabel: "frame size (bytes)", Values: []float64{60, 60, 1514, 400}},
		{Title: "Inter-arrival time CDF (log x)", XLabel: "time since the previous packet (s)", Values: []float64{0, 1e-6, 0.001, 0.5}, LogX: true},
	})
	if err != nil {
		t.Fatal(err)
	}
	text := svgText(t, path)
	for _, want := range []string{"Packet size CDF", "frame size (bytes)", "Inter-arrival time CDF", "fraction of packets ≤ x", "0.001"} {
		if !strings.Contains(text, want) {
			t.Errorf("SVG lacks %q", want)
		}
	}
}

func TestTicks125(t *testing.T) {
	ts := ticks125{}.Ticks(0.011, 0.064)
	var labels []string
	for _, x := range ts {
		labels = append(labels, x.Label)
	}
	if strings.Join(labels, ",") != "0.02,0.05" {
		t.Errorf("ticks %v", labels)
	}
	wide := ticks125{}.Ticks(1e-6, 1)
	for _, x := range wide {
		if e := math.Log10(x.Value); x.Label != "" && math.Abs(e-math.Round(e)) > 1e-9 {
			t.Errorf("wide axis labels %q, not a power of ten", x.Label)
		}
	}
}
