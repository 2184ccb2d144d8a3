package chart

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBusiestServers(t *testing.T) {
	t.Parallel()
	var servers []Server
	for i := range MaxServers + 2 {
		xs := make([]float64, 10+i) // server i has 10+i samples: 0 and 1 are the lightest
		for k := range xs {
			xs[k] = 0.001 * float64(k+1)
		}
		servers = append(servers, Server{Label: fmt.Sprintf("server-%02d", i), Sorted: xs})
	}
	servers = append(servers, Server{Label: "silent"})
	path := filepath.Join(t.TempDir(), "many.svg")
	if err := (LatencyFigure{Title: "many", Servers: servers}).Write(path); err != nil {
		t.Fatal(err)
	}
	text := svgText(t, path)
	for i := range MaxServers + 2 {
		want := i >= 2
		if got := strings.Contains(text, fmt.Sprintf("server-%02d ·", i)); got != want {
			t.Errorf("server-%02d drawn: %v, want %v", i, got, want)
		}
	}
	if want := "many · 1 without a matched exchange not drawn · the busiest 8 of 11 servers"; lines(text, want) != 1 {
		t.Errorf("title does not say what was left out:\n%s", text)
	}
}

// TestNothingToDraw: --plot on a capture without a matched exchange still
// gets a file that says so; the report is the caller's business.
func TestNothingToDraw(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "none.svg")
	if err := (LatencyFigure{Title: "empty", Servers: []Server{{Label: "a"}}}).Write(path); err != nil {
		t.Fatal(err)
	}
	if text := svgText(t, path); lines(text, "no matched exchange to draw") != 1 || lines(text, "empty") != 1 {
		t.Errorf("empty page reads:\n%s", text)
	}
}

// TestPanicBecomesError: a model's density is the caller's code; if it
// (or gonum) panics, Write returns an error and writes nothing.
func TestPanicBecomesError(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "p.svg")
	f := LatencyFigure{Servers: []Server{{Label: "a", Sorted: []float64{0.1, 0.2},
		Densities: []Density{{Name: "bad", PDF: func(float64) float64 { panic("model exploded") }}}}}}
	err := f.Write(path)
	if err == nil || !strings.Contains(err.Error(), "model exploded") {
		t.Fatalf("err = %v", err)
	}
	if _, serr := os.Stat(path); !os.IsNotExist(serr) {
		t.Errorf("a failed drawing left %s behind", path)
	}
}

func TestFormat(t *testing.T) {
	t.Parallel()
	for name, want := range map[string]string{"a.svg": "svg", "B.PNG": "png", "c.pdf": "", "d": ""} {
		got, err := Format(name)
		if got != want || (err != nil) != (want == "") {
			t.Errorf("Format(%q) = %q, %v", name, got, err)
		}
	}
	if err := (LatencyFigure{}).Write(filepath.Join(t.TempDir(), "x.pdf")); err == nil {
		t.Error("a .pdf name was accepted")
	}
}

func TestCDFFigure(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "s.svg")
	gaps := []float64{0, 0, 1e-6, 3e-5, 0.001, 0.5, 2, 100, 3600, 3 * 86400, 400 * 86400, math.NaN()}
	err := CDFFigure{Title: "Trace summary · x.pcap", Panels: []Sample{
		{Title: "Packet sizes", XLabel: "frame size (bytes)", Values: []float64{60, 60, 1514, 400}},
		{Title: "Inter-arrival times", XLabel: "time since the previous packet", Values: gaps, LogX: true, Duration: true},
		{Title: "Nothing", XLabel: "x", Values: []float64{0, -1}, LogX: true},
	}}.Write(path)
	if err != nil {
		t.Fatal(err)
	}
	text := svgText(t, path)
	for _, want := range []string{
		"Trace summary · x.pcap", "Packet sizes", "frame size (bytes)", "p50 = 60", "p99 = 1514",
		"1 NaN or infinite values left out; 2 of 11 values ≤ 0 below the log axis",
		"1µs", "1s", "1y", "2 of 2 values ≤ 0 below the log axis",
	} {
		if lines(text, want) != 1 {
			t.Errorf("SVG lacks %q once in\n%s", want, text)
		}
	}
}
