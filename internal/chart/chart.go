// Package chart draws pcapmeter's figures with gonum/plot: the latency
// page (per server: histogram with fitted densities, CDF with p50 and p99
// marked, log-log tail, latency over time and, when the caller gives a
// rate series, requests/s and bytes/s over time) and the trace summary's
// CDFs. It is its own package so that the measurement and the text
// reports do not depend on the plotting stack, and so that every figure is
// made the same way for SVG and PNG.
//
// A figure never panics and never fails on its data: values a panel
// cannot place (NaN, ±Inf, ≤ 0 on a log axis) are left out and the panel
// says how many; one sample, all-equal samples and spans from nanoseconds
// to years all draw. An error means the file could not be written, or, as
// a last resort, that gonum/plot panicked anyway (the panic is turned into
// the error). Callers treat it as a warning: the report comes first.
package chart

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/outfile"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"
)

// Sans reads better than gonum's default serif at small sizes. The
// Liberation faces are compiled into the binary (gonum registers
// codeberg.org/go-fonts/liberation, which embeds the TTF files), so a PNG
// renders the same on a machine without any font installed; see
// svgFonts for SVG.
func init() {
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
}

// Format is the output format chosen from a file name: "svg" or "png".
func Format(path string) (string, error) {
	switch strings.ToLower(filepath.Ext(path)) {
	case ".svg":
		return "svg", nil
	case ".png":
		return "png", nil
	}
	return "", fmt.Errorf("plot file %q: give a name ending in .svg or .png", path)
}

// DPI of PNG output: a 16-inch page is 1536 pixels wide.
const DPI = 96

// guard runs a figure's whole making (data to panels to file) and turns a
// panic into an error: gonum/plot panics on input it dislikes, a caller's
// density function may too, and a picture is never worth losing the
// report for.
func guard(path string, build func() error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("drawing %s: %v", path, r)
		}
	}()
	return build()
}

// render paints a w×h page in the format name's extension asks for and
// returns the file's bytes. The page is drawn in memory, so a failure
// writes nothing; name is for messages.
func render(name string, w, h vg.Length, paint func(draw.Canvas)) ([]byte, error) {
	format, err := Format(name)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if format == "svg" {
		c := vgsvg.New(w, h)
		paint(draw.New(c))
		_, err = c.WriteTo(&buf)
	} else {
		c := vgimg.PngCanvas{Canvas: vgimg.NewWith(vgimg.UseWH(w, h), vgimg.UseDPI(DPI))}
		paint(draw.New(c))
		_, err = c.WriteTo(&buf)
	}
	if err != nil {
		return nil, fmt.Errorf("drawing %s: %w", name, err)
	}
	out := buf.Bytes()
	if format == "svg" {
		out = svgFonts(out)
	}
	return out, nil
}

// encode runs a figure's whole making under guard (a panic becomes the
// error) and returns the file's bytes.
func encode(name string, build func() ([]byte, error)) (out []byte, err error) {
	if _, err := Format(name); err != nil {
		return nil, err
	}
	err = guard(name, func() error {
		var err error
		out, err = build()
		return err
	})
	return out, err
}

// writeFile puts a figure's bytes in path through outfile: a temporary
// file beside it, renamed into place once whole, so a failed write (a
// full disk) leaves an existing picture as it was and no partial file.
func writeFile(path string, b []byte) error {
	f, err := outfile.Create(path, nil)
	if err != nil {
		return err
	}
	defer f.Abort()
	if _, err := f.Write(b); err != nil {
		return err
	}
	return f.Commit()
}

// svgFonts gives every font name in an SVG a fallback list. gonum/plot
// lays text out with Liberation's metrics but names only the family, and
// a viewer without Liberation substitutes its default font (often a
// serif, often wider), so labels overflow their boxes. Arimo, Arial and
// Helvetica are metric-compatible with Liberation Sans (Liberation was
// drawn to Arial's metrics), so wherever one of them is installed, which
// is nearly everywhere, the layout holds exactly; the generic family is
// the last resort. Embedding the TTF instead would add about 550 kB to
// every SVG.
func svgFonts(svg []byte) []byte {
	return bytes.ReplaceAll(svg, []byte("font-family:Liberation Sans;"),
		[]byte("font-family:'Liberation Sans',Arimo,Arial,Helvetica,sans-serif;"))
}
