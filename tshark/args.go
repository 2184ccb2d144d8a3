package tshark

import (
	"fmt"
	"io"
	"net/netip"
	"strconv"
	"strings"
)

// OutputMode is how tshark prints the requested fields.
type OutputMode int

const (
	// Columns prints the fields as custom columns (-T tabs with
	// gui.column.format). Measured ~2× cheaper than Fields on the same
	// values because tshark skips building the full visible tree; tshark
	// prints no header line, and multi-valued fields are joined with ",".
	Columns OutputMode = iota
	// Fields prints the fields with -T fields, tab separated, with a header
	// line; multi-valued fields are joined with ",".
	Fields
)

// DecodeAs forces a TCP port to be dissected as HTTP.
type DecodeAs struct {
	Port uint16
}

// Spec is everything needed to build one tshark command line.
type Spec struct {
	// Input is the capture path, or "-" to read a capture from Stdin.
	Input string
	// Stdin is what tshark reads when Input is "-" (a flow shard through
	// a pipe, say). It is not part of the command line.
	Stdin io.Reader
	// Fields are tshark field names, in output order.
	Fields []string
	Mode   OutputMode
	// DisplayFilter (-Y) selects the packets printed. It must have been
	// built from validated values (see ServerFilter).
	DisplayFilter string
	// HTTPPorts are decoded as HTTP in addition to tshark's defaults.
	HTTPPorts []uint16
	// Prefs are extra "-o name:value" preferences.
	Prefs []string
	// TwoPass turns on -2 (needed only for fields filled on a second pass,
	// such as http.response_in; ~1.5× the CPU).
	TwoPass bool
}

// PinnedPrefs are the preferences pcapmeter's pairing depends on. They are
// pinned on the command line so that a user's Wireshark profile cannot turn
// them off: reassembly puts an HTTP message on the frame that completes it
// with tcp.segment listing all its frames, and sequence analysis keeps
// retransmissions from being dissected as second messages.
var PinnedPrefs = []string{
	"tcp.desegment_tcp_streams:TRUE",
	"tcp.analyze_sequence_numbers:TRUE",
	"tcp.relative_sequence_numbers:TRUE",
	"http.desegment_headers:TRUE",
	"http.desegment_body:TRUE",
}

// Args builds the argv (without the program name) for spec. It is a pure
// function so that tests can check exactly what would run.
func Args(spec Spec) ([]string, error) {
	if spec.Input == "" {
		return nil, fmt.Errorf("tshark args: no input")
	}
	if spec.Stdin != nil && spec.Input != "-" {
		return nil, fmt.Errorf("tshark args: input %q with a stdin: stdin goes with input \"-\" only", spec.Input)
	}
	if len(spec.Fields) == 0 {
		return nil, fmt.Errorf("tshark args: no fields")
	}
	for _, f := range spec.Fields {
		if !ValidField(f) {
			return nil, fmt.Errorf("tshark args: invalid field name %q", f)
		}
	}
	args := []string{"-n", "-r", spec.Input}
	if spec.TwoPass {
		args = append(args, "-2")
	}
	for _, p := range PinnedPrefs {
		args = append(args, "-o", p)
	}
	for _, p := range spec.Prefs {
		args = append(args, "-o", p)
	}
	for _, port := range spec.HTTPPorts {
		if port == 0 {
			return nil, fmt.Errorf("tshark args: port 0")
		}
		args = append(args, "-d", "tcp.port=="+strconv.Itoa(int(port))+",http")
	}
	if spec.DisplayFilter != "" {
		args = append(args, "-Y", spec.DisplayFilter)
	}
	switch spec.Mode {
	case Columns:
		args = append(args, "-T", "tabs", "-o", "gui.column.format:"+ColumnFormat(spec.Fields))
	case Fields:
		args = append(args, "-T", "fields", "-E", "header=y", "-E", "separator=/t", "-E", "occurrence=a", "-E", "aggregator=,")
		for _, f := range spec.Fields {
			args = append(args, "-e", f)
		}
	default:
		return nil, fmt.Errorf("tshark args: unknown output mode %d", spec.Mode)
	}
	return args, nil
}

// ColumnFormat renders fields as a gui.column.format preference value of
// custom columns, titled by the field name. The packet list's own column
// fields, which a custom column leaves empty, become tshark's built-in
// columns (BuiltinColumns); tshark pads those of Source and Destination.
func ColumnFormat(fields []string) string {
	parts := make([]string, 0, 2*len(fields))
	for _, f := range fields {
		format := BuiltinColumns[f]
		if format == "" {
			format = "%Cus:" + f
		}
		parts = append(parts, strconv.Quote(f), strconv.Quote(format))
	}
	return strings.Join(parts, ",")
}

// BuiltinColumns are the column formats of the _ws.col fields a Columns
// mode prints: the text of the packet list's columns, as -T fields
// prints the fields, but for two quirks of -T tabs. Source is padded on
// the left and Destination on the right to 12 characters, and a Source
// column right before a Destination column (or the other way round) gets
// an arrow column between them; callers put another column in between and
// trim the padding.
var BuiltinColumns = map[string]string{
	"_ws.col.Source": "%s", "_ws.col.Destination": "%d", "_ws.col.Protocol": "%p", "_ws.col.Info": "%i",
}

// ValidField reports whether s looks like a tshark field name: letters,
// digits, '_', '-' and '.', starting with a letter, digit or '_' (as the
// _ws.col.* column fields do). Field names become part of a preference
// string, so nothing else may pass.
func ValidField(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case r == '_', (r == '.' || r == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// ServerFilter returns a display-filter clause selecting TCP traffic to or
// from a server. The address and port are typed values, so nothing a user
// typed reaches the filter text unvalidated. A zero addr or port leaves
// that part out; both zero gives "".
func ServerFilter(addr netip.Addr, port uint16) string {
	var parts []string
	if addr.IsValid() {
		addr = addr.Unmap()
		if addr.Is4() {
			parts = append(parts, "ip.addr=="+addr.String())
		} else {
			parts = append(parts, "ipv6.addr=="+addr.WithZone("").String())
		}
	}
	if port != 0 {
		parts = append(parts, "tcp.port=="+strconv.Itoa(int(port)))
	}
	return strings.Join(parts, " && ")
}
