// Package parse turns tshark's row output into typed records and pairs
// HTTP requests with their responses. It reads a stream: rows are decoded
// one at a time (with gocsv over a tab splitter) and handed on, so memory
// grows with the number of exchanges in flight, never with the capture.
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

// Row is one tshark output row as text, one field per column. Every field
// is a string so that "tshark left it empty" and "zero" stay different
// things until Packet's typed conversion decides.
type Row struct {
	Frame       string `csv:"frame.number"`
	Time        string `csv:"frame.time_epoch"`
	IPSrc       string `csv:"ip.src"`
	IPv6Src     string `csv:"ipv6.src"`
	IPDst       string `csv:"ip.dst"`
	IPv6Dst     string `csv:"ipv6.dst"`
	SrcPort     string `csv:"tcp.srcport"`
	DstPort     string `csv:"tcp.dstport"`
	Stream      string `csv:"tcp.stream"`
	Len         string `csv:"tcp.len"`
	Seq         string `csv:"tcp.seq"`
	Ack         string `csv:"tcp.ack"`
	Flags       string `csv:"tcp.flags"`
	Retrans     string `csv:"tcp.analysis.retransmission"`
	FastRetrans string `csv:"tcp.analysis.fast_retransmission"`
	Spurious    string `csv:"tcp.analysis.spurious_retransmission"`
	OutOfOrder  string `csv:"tcp.analysis.out_of_order"`
	Segments    string `csv:"tcp.segment"`
	Methods     string `csv:"http.request.method"`
	URIs        string `csv:"http.request.uri"`
	Host        string `csv:"http.host"`
	Codes       string `csv:"http.response.code"`
	RequestIn   string `csv:"http.request_in"`
	UDPSrcPort  string `csv:"udp.srcport"`
}

// HTTPFields are the tshark fields behind Row, in column order.
var HTTPFields = []string{
	"frame.number", "frame.time_epoch",
	"ip.src", "ipv6.src", "ip.dst", "ipv6.dst",
	"tcp.srcport", "tcp.dstport", "tcp.stream", "tcp.len", "tcp.seq", "tcp.ack", "tcp.flags",
	"tcp.analysis.retransmission", "tcp.analysis.fast_retransmission", "tcp.analysis.spurious_retransmission",
	"tcp.analysis.out_of_order", "tcp.segment",
	"http.request.method", "http.request.uri", "http.host", "http.response.code", "http.request_in",
	"udp.srcport",
}

// HTTPDisplayFilter selects the rows pairing needs: every TCP segment that
// carries payload (an HTTP message's first byte may sit in a segment that
// tshark only reports as "segment of a reassembled PDU"), FIN and RST (to
// retire connections), and HTTP over UDP (counted, never paired). ICMP
// errors are excluded because the TCP header they quote is dissected too.
const HTTPDisplayFilter = "((tcp.len > 0 || tcp.flags.syn == 1 || tcp.flags.fin == 1 || tcp.flags.reset == 1) && !icmp && !icmpv6) || (udp && (http || ssdp))"

// FormatError says that tshark's output is not what was asked for: a
// wrong header, a row with the wrong number of columns, or a value that
// does not parse. It carries the output line number.
type FormatError struct {
	Line int
	Msg  string
}

func (e *FormatError) Error() string {
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
		if len(line) == 0 {
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
				return nil, &FormatError{Line: d.line, Msg: fmt.Sprintf("header %q, want %q", trunc(string(line)), strings.Join(d.header, "\\t"))}
			}
			return fields, nil
		}
		if len(fields) != len(d.header) {
			return nil, &FormatError{Line: d.line, Msg: fmt.Sprintf("%d columns, want %d: %q", len(fields), len(d.header), trunc(string(line)))}
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

func trunc(s string) string {
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
