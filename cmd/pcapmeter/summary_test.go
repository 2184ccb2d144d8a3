package main

import (
	"encoding/csv"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func TestSummaryGolden(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	for _, format := range []string{"text", "json", "csv"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			code, out, errs := pcapmeter(t, "summary", td("synth-gaps-v6.pcap"), "--format", format)
			if code != 0 || errs != "" {
				t.Fatalf("exit %d %q", code, errs)
			}
			golden(t, "summary-gaps."+format, out)
		})
	}
}

// TestSummaryNulls: a capture without TCP has no handshake RTT, which the
// JSON says with null (schema v2), not 0.
func TestSummaryNulls(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	code, out, errs := pcapmeter(t, "summary", filepath.Join("..", "..", "testdata", "icmp", "synth-node.pcap"), "--format", "json")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d %q", code, errs)
	}
	golden(t, "summary-icmp.json", out)
	if !strings.Contains(out, `"handshake_rtt_median": null`) {
		t.Error("handshake_rtt_median is not null without TCP")
	}
}

func TestExportGolden(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	code, out, errs := pcapmeter(t, "export", td("synth-gaps-v6.pcap"), "--filter", "http")
	if code != 0 || errs != "" {
		t.Fatalf("exit %d %q", code, errs)
	}
	golden(t, "export-gaps-http.csv", out)
}

// TestExportLoadsWithTypes reads the export back as a data frame would:
// every row has every column, numbers parse as numbers, times as times,
// and quoted Info texts keep their commas.
func TestExportLoadsWithTypes(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	path := testutil.Shared(t, "http/wireshark_http.cap")
	for _, tf := range []string{"relative", "epoch", "iso"} {
		t.Run(tf, func(t *testing.T) {
			t.Parallel()
			exportLoads(t, path, tf)
		})
	}
	t.Run("fields", func(t *testing.T) {
		t.Parallel()
		exportFieldsLoad(t, path)
	})
}

// exportLoads is TestExportLoadsWithTypes for one --time format.
func exportLoads(t *testing.T, path, tf string) {
	code, out, errs := pcapmeter(t, "export", path, "--time", tf)
	if code != 0 {
		t.Fatalf("exit %d %q", code, errs)
	}
	rows, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 44 || strings.Join(rows[0], ",") != "No.,Time,Source,Destination,Protocol,Length,Info" {
		t.Fatalf("%d rows, header %q", len(rows), rows[0])
	}
	var prev float64
	for i, r := range rows[1:] {
		if n, err := strconv.Atoi(r[0]); err != nil || n != i+1 {
			t.Errorf("No. %q", r[0])
		}
		if l, err := strconv.Atoi(r[5]); err != nil || l < 54 {
			t.Errorf("Length %q", r[5])
		}
		var ts float64
		if tf == "iso" {
			tt, err := time.Parse(time.RFC3339Nano, r[1])
			if err != nil {
				t.Fatalf("iso time %q: %v", r[1], err)
			}
			ts = float64(tt.UnixNano()) / 1e9
		} else if ts, err = strconv.ParseFloat(r[1], 64); err != nil {
			t.Fatalf("time %q", r[1])
		}
		if ts < prev {
			t.Errorf("time goes back at row %d", i+1)
		}
		prev = ts
	}
	if tf == "relative" && rows[1][1] != "0.000000000" {
		t.Errorf("relative time starts at %q", rows[1][1])
	}
	if !strings.Contains(rows[2][6], "[SYN, ACK]") {
		t.Errorf("Info with a comma lost: %q", rows[2][6])
	}
}

// exportFieldsLoad: --fields with a --filter gives those columns, typed.
func exportFieldsLoad(t *testing.T, path string) {
	code, out, _ := pcapmeter(t, "export", path, "--fields", "frame.number,ip.src,tcp.len", "--filter", "tcp.len > 0")
	rows, _ := csv.NewReader(strings.NewReader(out)).ReadAll()
	if code != 0 || len(rows) < 2 || strings.Join(rows[0], ",") != "frame.number,ip.src,tcp.len" {
		t.Errorf("fields: %d %q", code, rows)
	}
	for _, r := range rows[1:] {
		if n, err := strconv.Atoi(r[2]); err != nil || n <= 0 {
			t.Errorf("tcp.len %q with filter tcp.len > 0", r[2])
		}
	}
}

func TestExportErrors(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	ok := td("synth-gaps-v6.pcap")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"export"}, 2, "give a capture file"},
		{[]string{"export", ok, "--filter", "tcp.port =="}, 2, `tshark rejected --filter "tcp.port =="`},
		{[]string{"export", ok, "--filter", "frob"}, 2, "frob is neither a field nor a protocol name"},
		{[]string{"export", ok, "--fields", "frame.number,no.such.field"}, 2, "tshark rejected --fields"},
		{[]string{"export", ok, "--fields", "ip.src;rm"}, 2, "invalid field name"},
		{[]string{"export", ok, "--time", "local"}, 2, "invalid --time"},
		{[]string{"summary", "nope.pcap"}, 1, "no such file"},
		{[]string{"summary", ok, "--format", "xls"}, 2, "invalid --format"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			code, out, errs := pcapmeter(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.msg) {
				t.Errorf("exit %d stderr %q; want %d %q", code, errs, c.code, c.msg)
			}
			if c.code != 0 && out != "" {
				t.Errorf("wrote %q despite failing", out)
			}
		})
	}
}
