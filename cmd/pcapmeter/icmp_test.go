package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func TestICMPGolden(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	node := filepath.Join("..", "..", "testdata", "icmp", "synth-node.pcap")
	for _, format := range []string{"text", "json", "csv", "nssa"} {
		t.Run(format, func(t *testing.T) {
			t.Parallel()
			code, out, errs := pcapmeter(t, "icmp", node, "--format", format, "--name", "Node 1")
			if code != 0 || errs != "" {
				t.Fatalf("exit %d, %q", code, errs)
			}
			golden(t, "icmp-synth."+format, out)
		})
	}
}

// TestNSSALayout: the four node captures print the assignment template's
// layout exactly, with a number wherever the template says "num".
func TestNSSALayout(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	tmpl, err := os.ReadFile(testutil.Shared(t, "icmp/nssa220/output_format_template.csv"))
	if err != nil {
		t.Fatal(err)
	}
	var files []string
	for i := 1; i <= 4; i++ {
		files = append(files, testutil.Shared(t, filepath.Join("icmp", "nssa220", "Node"+string(rune('0'+i))+".pcap")))
	}
	code, out, errs := pcapmeter(t, append([]string{"icmp", "--format", "nssa"}, files...)...)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	num := regexp.MustCompile(`(?m)(^|,)\d+(\.\d\d)?`)
	got := num.ReplaceAllString(strings.ReplaceAll(out, "\r\n", "\n"), "${1}num")
	want := strings.ReplaceAll(strings.TrimPrefix(string(tmpl), "\ufeff"), "\r\n", "\n")
	if got != want {
		t.Errorf("layout differs from the template:\n%s", got)
	}
	if !strings.Contains(out, "\r\n") || strings.HasSuffix(out, "\n") {
		t.Error("line ends differ from the template's (CRLF, none at the end)")
	}
	// Time metrics have exactly two decimals.
	if !regexp.MustCompile(`Average RTT \(milliseconds\),\d+\.\d\d\r\n`).MatchString(out) {
		t.Errorf("RTT not rounded to 2 decimals:\n%s", out)
	}
}

func TestICMPErrors(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	node := filepath.Join("..", "..", "testdata", "icmp", "synth-node.pcap")
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"icmp"}, 2, "no capture file"},
		{[]string{"icmp", node, "--node", "1.2.3"}, 2, "invalid IP address"},
		{[]string{"icmp", node, node, node, "--node", "10.0.0.1", "--node", "10.0.0.2"}, 2, "one for all, or one per file"},
		{[]string{"icmp", node, "--format", "xls"}, 2, "invalid --format"},
		{[]string{"icmp", node, "--node", "10.9.9.9"}, 1, "no ICMP echo request or reply to or from 10.9.9.9"},
		{[]string{"icmp", td("synth-gaps-v6.pcap")}, 1, "no ICMP echo"},
	}
	for _, c := range cases {
		t.Run(strings.Join(c.args, " "), func(t *testing.T) {
			t.Parallel()
			code, _, errs := pcapmeter(t, c.args...)
			if code != c.code || !strings.Contains(errs, c.msg) {
				t.Errorf("exit %d stderr %q; want %d %q", code, errs, c.code, c.msg)
			}
		})
	}
	t.Run("cut before any echo", func(t *testing.T) {
		t.Parallel()
		// The file header and half of the first packet: whether the file
		// holds pings is unknown, and the line says so.
		whole, _ := os.ReadFile(node)
		cut := filepath.Join(t.TempDir(), "cut.pcap")
		os.WriteFile(cut, whole[:60], 0o644)
		code, _, errs := pcapmeter(t, "icmp", cut)
		want := "pcapmeter icmp: " + cut + ": no ICMP echo request or reply before the cut: the file is cut short in the middle of a packet\n"
		if code != 1 || errs != want {
			t.Errorf("exit %d stderr %q; want 1 %q", code, errs, want)
		}
	})
	t.Run("ambiguous", func(t *testing.T) {
		t.Parallel()
		if code, _, errs := pcapmeter(t, "icmp", testutil.Shared(t, "odd/zeek_icmp_dot1q.pcap")); code != 1 || !strings.Contains(errs, "give the node's address with --node") {
			t.Errorf("ambiguous: %d %q", code, errs)
		}
	})
}
