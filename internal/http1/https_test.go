package http1

import (
	"context"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// TestHTTPSFirstByte: over TLS tshark lists an HTTP message's frames in
// tls.segment and reports it on its last one, so the response's first
// byte is taken from that list: every HTTPS/1.1 exchange of the recorded
// capture has its response's first byte where the server wrote it (the
// truth: the server's write of its headers, which goes ahead of the wire
// by up to 1% of ttfb or 500 µs on a busy machine, never behind by more
// than 100 µs) and, for the 40 kB bodies, in a frame before the
// response's last and at least 50 µs ahead of it (without the list ttfb
// was ttlb, within those same tolerances on loopback).
func TestHTTPSFirstByte(t *testing.T) {
	bin := testutil.Tshark(t)
	file := testutil.Testdata("h2", "https1-v4-8443.pcapng")
	var truth struct {
		Exchanges []struct {
			Path   string `json:"path"`
			TTFBNS int64  `json:"ttfb_ns"`
			TTLBNS int64  `json:"ttlb_ns"`
			Size   int    `json:"resp_body_bytes"`
		} `json:"exchanges"`
	}
	testutil.ReadJSON(t, file+".truth.json", &truth)
	var got []exchange.Exchange
	pr := NewPairer(Options{Mode: PairTuple}, func(e *exchange.Exchange) error { got = append(got, *e); return nil })
	spec := tshark.Spec{Input: file, Fields: Fields, Mode: tshark.Columns, DisplayFilter: DisplayFilter,
		Prefs: []string{"tls.keylog_file:" + file + ".keylog"}}
	if _, err := dissect.Run(context.Background(), bin, spec, ToPacket, pr.Add); err != nil {
		t.Fatal(err)
	}
	if _, err := pr.Flush(); err != nil {
		t.Fatal(err)
	}
	byPath := map[string]exchange.Exchange{}
	for _, e := range got {
		byPath[e.URI] = e
	}
	big := 0
	for _, w := range truth.Exchanges {
		e, ok := byPath[w.Path]
		if !ok || e.Status == 0 {
			t.Errorf("%s: not answered", w.Path)
			continue
		}
		ttfb, want := e.RespFirst.Sub(e.ReqFirst), float64(w.TTFBNS)/1e9
		if d := ttfb - want; d < -100e-6 || d > max(0.01*want, 500e-6) {
			t.Errorf("%s: ttfb %.6f, truth %.6f", w.Path, ttfb, want)
		}
		if w.Size >= 40000 {
			big++
			if ttlb := e.RespLast.Sub(e.ReqFirst); e.RespFirstFrame >= e.Resp.Frame || ttlb-ttfb < 50e-6 {
				t.Errorf("%s: first byte in frame %d, %.6f s before the last", w.Path, e.RespFirstFrame, ttlb-ttfb)
			}
		}
	}
	if len(got) != len(truth.Exchanges) || big != 3 || !strings.HasPrefix(truth.Exchanges[0].Path, "/c") {
		t.Errorf("%d exchanges (%d with 40 kB bodies), truth %d", len(got), big, len(truth.Exchanges))
	}
}
