package parse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync/atomic"

	"github.com/gocarina/gocsv"
)

// FormatError says that tshark's output is not what was asked for: a
// wrong header, a row with the wrong number of columns, or a value that
// does not parse. It carries the output line number.
type FormatError struct {
	Line int
	Msg  string
}

func (e *FormatError) Error() string {
	if e.Line == 0 { // a complaint gathered over a run, not one line's
		return "unexpected tshark output: " + e.Msg
	}
	return fmt.Sprintf("unexpected tshark output at line %d: %s", e.Line, e.Msg)
}

// Decoder is a gocsv.SimpleDecoder over tshark's tab-separated rows. tshark
// never quotes, so encoding/csv (which treats a field starting with '"' as
// quoted) cannot be used; this splitter takes tabs literally and checks the
// column count of every row.
type Decoder struct {
	sc       *bufio.Scanner
	header   []string
	pending  []string // header to hand out first (column mode prints none)
	line     int
	expectHd bool
	reuse    []string
	stopped  atomic.Bool
}

// NewDecoder reads rows with the given columns from r. If withHeader is
// true the first line of r must be exactly that header (tshark -T fields
// -E header=y); otherwise (custom columns) the header is supplied here.
func NewDecoder(r io.Reader, columns []string, withHeader bool) *Decoder {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 256<<10), 64<<20)
	d := &Decoder{sc: sc, header: columns, expectHd: withHeader}
	if !withHeader {
		d.pending = columns
	}
	return d
}

// GetCSVRow returns the next row's fields (the header first).
func (d *Decoder) GetCSVRow() ([]string, error) {
	return d.next(nil)
}

// nextReuse is GetCSVRow returning its fields in one slice reused from row
// to row (the strings themselves are fresh): one allocation per row less on
// the HTTP path, for callers that are done with a row before the next.
func (d *Decoder) nextReuse() ([]string, error) {
	if d.reuse == nil {
		d.reuse = make([]string, 0, len(d.header))
	}
	return d.next(d.reuse[:0])
}

// next reads a row into buf (nil: a new slice).
func (d *Decoder) next(buf []string) ([]string, error) {
	if d.pending != nil {
		h := d.pending
		d.pending = nil
		return h, nil
	}
	for !d.stopped.Load() && d.sc.Scan() {
		d.line++
		line := d.sc.Bytes()
		line = bytes.TrimSuffix(line, []byte("\r"))
		// A one-column row whose value is empty is an empty line (tshark
		// prints one per packet); with more columns it would hold tabs, so
		// an empty line is only ever blank space and is skipped.
		if len(line) == 0 && (len(d.header) != 1 || d.expectHd) {
			continue
		}
		var fields []string
		if buf == nil {
			fields = strings.Split(string(line), "\t")
		} else {
			fields = splitTabs(string(line), buf)
		}
		if d.expectHd {
			d.expectHd = false
			if !equal(fields, d.header) {
				return nil, &FormatError{Line: d.line, Msg: fmt.Sprintf("header %q, want %q", Excerpt(string(line)), strings.Join(d.header, "\\t"))}
			}
			return fields, nil
		}
		if len(fields) != len(d.header) {
			return nil, &FormatError{Line: d.line, Msg: fmt.Sprintf("%d columns, want %d: %q", len(fields), len(d.header), Excerpt(string(line)))}
		}
		return fields, nil
	}
	if d.stopped.Load() {
		return nil, io.EOF
	}
	if err := d.sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, &FormatError{Line: d.line + 1, Msg: "line longer than 64 MiB"}
		}
		return nil, err
	}
	if d.expectHd {
		return nil, &FormatError{Line: 0, Msg: "no header line"}
	}
	return nil, io.EOF
}

// splitTabs is strings.Split(s, "\t") appending to buf.
func splitTabs(s string, buf []string) []string {
	for {
		i := strings.IndexByte(s, '\t')
		if i < 0 {
			return append(buf, s)
		}
		buf = append(buf, s[:i])
		s = s[i+1:]
	}
}

// Line returns the number of output lines read so far.
func (d *Decoder) Line() int { return d.line }

// GetCSVRows is required by gocsv.SimpleDecoder; pcapmeter never slurps.
func (d *Decoder) GetCSVRows() ([][]string, error) {
	return nil, errors.New("parse.Decoder streams rows; GetCSVRows is not supported")
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// Excerpt shortens a value quoted in an error message: tshark output that
// is not what was asked for may be a whole binary blob on one line.
func Excerpt(s string) string {
	if len(s) > 120 {
		return s[:120] + "…"
	}
	return s
}

// StreamRows decodes every row from dec into a T (a struct whose csv tags
// name the columns) with gocsv and calls fn for each, in order. It is the
// reference Decode is checked against (by the fuzz targets and
// TestFastDecoderMatchesGocsv); analyses use Decode. It stops at the first error from fn or the decoder. Rows flow
// through a small buffered channel, so at most a few dozen are in memory.
func StreamRows[T any](dec *Decoder, fn func(*T) error) error {
	ch := make(chan *T, 64)
	done := make(chan error, 1)
	go func() {
		done <- gocsv.UnmarshalDecoderToChan(dec, ch)
	}()
	var ferr error
	for r := range ch {
		if ferr == nil {
			ferr = fn(r)
			if ferr != nil {
				dec.stopped.Store(true)
			}
		}
		// After an error, drain what the decoding goroutine has already
		// decoded; the stopped decoder makes it finish at once.
	}
	derr := <-done
	if ferr != nil {
		return ferr
	}
	return derr
}
