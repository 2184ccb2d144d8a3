package httplat

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestHTTP2Pass: the HTTP/2 pass counts every stream into the same
// report as HTTP/1, labelled by protocol; a 101 that upgraded to h2c is
// not an answer (stream 1 is), a WebSocket 101 is; TLS without keys is
// counted and named.
func TestHTTP2Pass(t *testing.T) {
	dir := testutil.Testdata("h2")
	in := func(f string) string { return filepath.Join(dir, f) }
	tests := []struct {
		name              string
		opt               Options
		h1, h2, matched   int
		tlsConns, decrypt int
		conns             int // connections of the measured servers (truth: the recorder's)
	}{
		// Streams reset after their response HEADERS are answered (8 of
		// https2's, 2 of h2c-prior's, 4 of mixed's): matched.
		{"https2", Options{Files: []string{in("https2-v4.pcapng")}, KeyLogs: []string{in("https2-v4.pcapng.keylog")}}, 0, 117, 108, 2, 2, 2},
		{"h2c prior knowledge", Options{Files: []string{in("h2c-prior-v4-50051.pcapng")}, HTTPPorts: []uint16{50051}}, 0, 52, 48, 0, 0, 2},
		{"h2c upgrade", Options{Files: []string{in("h2c-upgrade-v6.pcapng")}}, 4, 18, 20, 0, 0, 4},
		{"mixed, both key logs", Options{Files: []string{in("mixed-tls-v4.pcapng")}, KeyLogs: []string{in("mixed-tls-v4.pcapng.h1.keylog"), in("mixed-tls-v4.pcapng.h2.keylog")}, Jobs: 2}, 20, 40, 56, 4, 4, 4},
		{"mixed, h1 keys only", Options{Files: []string{in("mixed-tls-v4.pcapng")}, KeyLogs: []string{in("mixed-tls-v4.pcapng.h1.keylog")}}, 20, 0, 20, 4, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			res, exs := measureURIs(t, tc.opt, false)
			if res.Total.H2 != tc.h2 || res.Total.Matched != tc.matched {
				t.Errorf("h2 %d, matched %d; want %d, %d", res.Total.H2, res.Total.Matched, tc.h2, tc.matched)
			}
			if tc.h2 > 0 && res.Total.HTTP1 != tc.h1 {
				t.Errorf("http/1.1 %d, want %d", res.Total.HTTP1, tc.h1)
			}
			gotTLS, gotDec := 0, 0
			if res.TLS != nil {
				gotTLS, gotDec = res.TLS.Connections, res.TLS.Decrypted
			}
			if gotTLS != tc.tlsConns || gotDec != tc.decrypt {
				t.Errorf("TLS %d connections, %d decrypted; want %d, %d", gotTLS, gotDec, tc.tlsConns, tc.decrypt)
			}
			if ck := res.Crosscheck.HTTP2; tc.h2 > 0 && (ck == nil || ck.Streams != tc.h2 || ck.Agree != tc.h2) {
				t.Errorf("HTTP/2 crosscheck %+v, want all %d streams agreeing with tshark's per-stream status", ck, tc.h2)
			}
			conns := 0
			for _, sv := range res.Servers {
				conns += sv.Counts.Connections
			}
			if conns != tc.conns {
				t.Errorf("%d connections counted, want %d (HTTP/2-only connections count too, upgraded ones once)", conns, tc.conns)
			}
			for uri, e := range exs {
				if e.Status == 101 && e.Protocol == exchange.HTTP1 && uri != "/ws?d=0&s=0" {
					t.Errorf("%s: a 101 reported as the answer", uri)
				}
			}
		})
	}
}

// TestHTTP2PassSkipped: a cleartext HTTP/1 capture costs no second tshark
// run, even with a key log and ports named (the probe saw no ClientHello
// and no HTTP/2 preface); a TLS capture gets its pass. The probe is made
// in pass 1's own read of the file when pass 1 reads it through the
// splitter, and reads the file itself only when one tshark reads it
// (whole). Not parallel: it counts passes process-wide.
func TestHTTP2PassSkipped(t *testing.T) {
	testutil.Tshark(t)
	keys := filepath.Join(testutil.Testdata("h2"), "https2-v4.pcapng.keylog")
	tests := []struct {
		file           string
		whole          bool
		passes, probes int64
	}{
		{filepath.Join(testutil.Testdata("http"), "keepalive-v4.pcapng"), false, 0, 0},
		{filepath.Join(testutil.Testdata("h2"), "https2-v4.pcapng"), false, 1, 0},
		{filepath.Join(testutil.Testdata("h2"), "https2-v4.pcapng"), true, 1, 1},
	}
	for _, tc := range tests {
		before, probes := h2Passes.Load(), probeReads.Load()
		opt := Options{Files: []string{tc.file}, KeyLogs: []string{keys}, HTTPPorts: []uint16{8080}}
		opt.whole = tc.whole
		_, err := Run(context.Background(), opt)
		if err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		if n := h2Passes.Load() - before; n != tc.passes {
			t.Errorf("%s (whole %v): %d HTTP/2 passes, want %d", tc.file, tc.whole, n, tc.passes)
		}
		if n := probeReads.Load() - probes; n != tc.probes {
			t.Errorf("%s (whole %v): the probe read the file %d times, want %d", tc.file, tc.whole, n, tc.probes)
		}
	}
}

// TestHTTP2PassJobs: the HTTP/2 pass split by connection (--jobs 2, each
// TLS connection and its keys whole in one shard) reports the same
// exchanges, in the same order, and the same HTTP/2 and TLS counts as one
// tshark over the file.
func TestHTTP2PassJobs(t *testing.T) {
	dir := testutil.Testdata("h2")
	in := func(f string) string { return filepath.Join(dir, f) }
	tests := []struct {
		name string
		opt  Options
	}{
		{"https2", Options{Files: []string{in("https2-v4.pcapng")}, KeyLogs: []string{in("https2-v4.pcapng.keylog")}}},
		{"mixed, h2 keys only", Options{Files: []string{in("mixed-tls-v4.pcapng")}, KeyLogs: []string{in("mixed-tls-v4.pcapng.h2.keylog")}}},
		{"h2c upgrade", Options{Files: []string{in("h2c-upgrade-v6.pcapng")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			one, two := shared(t, tc.opt, 1), shared(t, tc.opt, 2)
			if h2Splits.Load() == 0 {
				t.Errorf("--jobs 2: the HTTP/2 pass did not run split")
			}
			same(t, tc.name, one, two)
			if one.res.Total.H2 == 0 {
				t.Fatalf("no HTTP/2 exchange: the test tests nothing")
			}
			if !reflect.DeepEqual(one.res.HTTP2, two.res.HTTP2) || !reflect.DeepEqual(one.res.TLS, two.res.TLS) {
				t.Errorf("HTTP/2 %+v vs %+v\nTLS %+v vs %+v", one.res.HTTP2, two.res.HTTP2, one.res.TLS, two.res.TLS)
			}
		})
	}
}
