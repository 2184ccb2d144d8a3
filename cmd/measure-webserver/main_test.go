package main

import (
	"bytes"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func td(name string) string { return filepath.Join("..", "..", "testdata", "http", name) }

func mw(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// The exact shape of the classic output: three lines, seconds with five
// decimals, five percentiles.
var classic = regexp.MustCompile(`^AVERAGE LATENCY: \d+\.\d{5}\nPERCENTILES: \d+\.\d{5} \d+\.\d{5} \d+\.\d{5} \d+\.\d{5} \d+\.\d{5}\nKL DIVERGENCE: \d+\.\d{5}\n$`)

func TestClassicOutput(t *testing.T) {
	testutil.Tshark(t)
	cases := []struct{ name, file, ip, port string }{
		{"keepalive", "keepalive-v4.pcapng", "127.0.0.1", "8080"},
		{"pipelined-ipv6", "pipelined-v6-port6000.pcapng", "::1", "6000"},
	}
	for _, c := range cases {
		code, out, _ := mw(td(c.file), c.ip, c.port)
		if code != 0 || !classic.MatchString(out) {
			t.Errorf("%s: exit %d, output %q", c.name, code, out)
		}
		testutil.Golden(t, filepath.Join("testdata", c.name+".golden"), out)
	}
}

func TestErrors(t *testing.T) {
	testutil.Tshark(t)
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"x.pcap", "10.0.0.1"}, 2, "usage"},
		{[]string{td("keepalive-v4.pcapng"), "localhost", "8080"}, 2, "invalid IP address"},
		{[]string{td("keepalive-v4.pcapng"), "127.0.0.1", "0"}, 2, "invalid port"},
		{[]string{td("keepalive-v4.pcapng"), "127.0.0.1", "80"}, 1, "no HTTP request or response to or from 127.0.0.1:80"},
		{[]string{td("missing.pcap"), "127.0.0.1", "80"}, 1, "no such file"},
	}
	for _, c := range cases {
		code, out, errs := mw(c.args...)
		if code != c.code || !strings.Contains(errs, c.msg) || out != "" {
			t.Errorf("%v: exit %d stdout %q stderr %q; want %d %q", c.args, code, out, errs, c.code, c.msg)
		}
	}
	// Requests but no response at all: nothing to average.
	path := testutil.Shared(t, "http/ndpi_WebattackRCE_requests-only.pcap")
	code, out, errs := mw(path, "127.0.0.1", "8080")
	if code != 1 || out != "" || !strings.Contains(errs, "no HTTP response from 127.0.0.1:8080 matched a request (797 requests, 797 unanswered)") {
		t.Errorf("requests-only capture: exit %d, stdout %q, stderr %q", code, out, errs)
	}
}
