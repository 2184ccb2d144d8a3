package export

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

func TestColumns(t *testing.T) {
	for _, c := range []struct {
		time, field string
		iso         int
	}{{"relative", "frame.time_relative", -1}, {"epoch", "frame.time_epoch", -1}, {"iso", "frame.time_epoch", 1}} {
		cols, err := PacketList(c.time)
		if err != nil || cols.Fields[1] != c.field || cols.iso != c.iso || strings.Join(cols.Header, ",") != "No.,Time,Source,Destination,Protocol,Length,Info" {
			t.Errorf("%s: %+v %v", c.time, cols, err)
		}
	}
	if _, err := PacketList("local"); err == nil || !strings.Contains(err.Error(), "invalid --time") {
		t.Errorf("local time: %v", err)
	}
	cols, err := FieldColumns([]string{"frame.number", " ip.src"})
	if err != nil || !slices.Equal(cols.Header, []string{"frame.number", "ip.src"}) || !slices.Equal(cols.Fields, cols.Header) || cols.iso != -1 {
		t.Errorf("fields: %+v %v", cols, err)
	}
	if _, err := FieldColumns([]string{"ip.src;rm"}); err == nil || !strings.Contains(err.Error(), "invalid field name") {
		t.Errorf("shell characters: %v", err)
	}
}

// TestRejection: tshark's complaints (as tshark 4.0 prints them, less
// the lines package tshark drops) become
// one line naming the flag; anything else is not a rejection.
func TestRejection(t *testing.T) {
	cases := []struct {
		stderr, filter, want string
		ok                   bool
	}{
		{"tshark: Unexpected end of filter expression.\n", "tcp.port ==", `tshark rejected --filter "tcp.port ==": Unexpected end of filter expression.`, true},
		{"tshark: \"frob\" is neither a field nor a protocol name.\n    frob\n    ^~~~\n", "frob", `tshark rejected --filter "frob": "frob" is neither a field nor a protocol name.`, true},
		{"tshark: Some fields aren't valid:\n\tno.such.field\n", "", "tshark rejected --fields: Some fields aren't valid: no.such.field; `tshark -G fields` lists the valid names", true},
		{"tshark: The file \"x\" appears to be damaged or corrupt.\n", "", "", false},
	}
	for _, c := range cases {
		if got, ok := rejection(c.stderr, c.filter); got != c.want || ok != c.ok {
			t.Errorf("%q: %q %v, want %q %v", c.stderr, got, ok, c.want, c.ok)
		}
	}
}

// TestRun: rows come in capture order with the Time column in ISO 8601,
// and a filter tshark refuses is a RejectedError, not a failure.
func TestRun(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	file := testutil.Testdata("http", "synth-gaps-v6.pcap")
	cols, _ := PacketList("iso")
	ctx := context.Background()
	e, err := Prepare(ctx, Options{File: file, Columns: cols, Filter: "http"})
	if err != nil {
		t.Fatal(err)
	}
	var prev time.Time
	n := 0
	if _, err := e.Run(ctx, func(row []string) error {
		ts, err := time.Parse(time.RFC3339Nano, row[1])
		if err != nil || ts.Before(prev) || row[4] != "HTTP" {
			t.Errorf("row %q: %v", row, err)
		}
		prev, n = ts, n+1
		return nil
	}); err != nil || n == 0 {
		t.Fatalf("%d rows, %v", n, err)
	}
	e, _ = Prepare(ctx, Options{File: file, Columns: cols, Filter: "tcp.port =="})
	var rej *RejectedError
	if _, err := e.Run(ctx, func([]string) error { return nil }); !errors.As(err, &rej) {
		t.Errorf("bad filter: %v", err)
	}
	if _, err := Prepare(ctx, Options{File: testutil.Testdata("nope.pcap"), Columns: cols}); err == nil {
		t.Error("a missing capture passed")
	}
}

// TestOneColumnRowPerPacket: with one field, a packet without a value is
// an empty line of tshark's, still one row (they were once skipped, so the
// rows no longer lined up with the packets).
func TestOneColumnRowPerPacket(t *testing.T) {
	testutil.Tshark(t)
	file := testutil.Testdata("http", "keepalive-v4.pcapng")
	ctx := context.Background()
	rows := func(fields ...string) (n, empty int) {
		cols, err := FieldColumns(fields)
		if err != nil {
			t.Fatal(err)
		}
		e, err := Prepare(ctx, Options{File: file, Columns: cols})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.Run(ctx, func(row []string) error {
			n++
			if row[len(row)-1] == "" {
				empty++
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		return n, empty
	}
	packets, _ := rows("frame.number")
	n, empty := rows("http.request.method")
	if n != packets || empty == 0 || empty == n {
		t.Errorf("one column: %d rows (%d empty) for %d packets", n, empty, packets)
	}
}

// TestListColumnsEqualFields: the packet list printed as tshark's columns
// (listSpec) is, byte for byte, what -T fields prints of the same
// fields: Source and Destination unpadded and in place, whether they are
// short IPv4 addresses, long IPv6 ones or the MAC addresses of ARP.
func TestListColumnsEqualFields(t *testing.T) {
	t.Parallel()
	bin := testutil.Tshark(t)
	mixed, _ := testutil.MixedCapture(t, 2)
	for _, path := range []string{mixed, testutil.Shared(t, "http/sanders_http_ip4and6.pcapng")} {
		cols, _ := PacketList("iso")
		e, err := Prepare(context.Background(), Options{File: path, Columns: cols, Tshark: bin})
		if err != nil {
			t.Fatal(err)
		}
		var got, want strings.Builder
		if _, err := e.Run(context.Background(), func(row []string) error {
			got.WriteString(strings.Join(row, "\t") + "\n")
			return nil
		}); err != nil {
			t.Fatal(err)
		}
		spec := tshark.Spec{Input: path, Fields: cols.Fields, Mode: tshark.Fields}
		if _, err := dissect.Run(context.Background(), bin, spec, dissect.Same[[]string], func(r *[]string) error {
			return e.emit(*r, func(row []string) error {
				want.WriteString(strings.Join(row, "\t") + "\n")
				return nil
			})
		}); err != nil {
			t.Fatal(err)
		}
		if got.String() != want.String() || !strings.Contains(got.String(), "\t02:00:00:00:00:01\tARP") == (path == mixed) {
			t.Errorf("%s: columns differ from -T fields:\n%s", path, testutil.Diff(want.String(), got.String()))
		}
	}
}
