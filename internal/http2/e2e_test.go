package http2

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

type truthFile struct {
	Connections []struct {
		Conn       int `json:"conn"`
		ClientPort int `json:"client_port"`
	} `json:"connections"`
	Exchanges []struct {
		Conn       int     `json:"conn"`
		Proto      string  `json:"proto"`
		Stream     uint32  `json:"stream"`
		Method     string  `json:"method"`
		Path       string  `json:"path"`
		Status     int     `json:"status"`
		TTFB       float64 `json:"ttfb_ns"`
		PushedBy   uint32  `json:"pushed_by"`
		GRPCStatus *string `json:"grpc_status"`
		Cut        string  `json:"cut"`
		Reset      *struct {
			By   string `json:"by"`
			Code string `json:"code"`
		} `json:"reset"`
		EarlyAnswer bool  `json:"early_answer"`
		Interim     []int `json:"interim"`
	} `json:"exchanges"`
}

// line renders an exchange the way the truth is compared: everything but
// the time, which is compared with a tolerance.
func line(conn int, stream uint32, method, path string, status, interim int, grpc, why string) string {
	return fmt.Sprintf("c%d s%d %s %s %d interim=%d grpc=%s %s", conn, stream, method, path, status, interim, grpc, why)
}

// TestCapturesAgainstTruth pairs every HTTP/2 stream of the recorded
// captures and compares each with the recording's own ground truth: the
// same streams (n exact), methods, paths, statuses, grpc-status, why a
// stream went unanswered, and ttfb within 1% (the truth is the write
// call, 1–140 µs ahead of the wire, so short waits get 300 µs).
func TestCapturesAgainstTruth(t *testing.T) {
	bin := testutil.Tshark(t)
	dir := testutil.Testdata("h2")
	cases := []struct {
		file    string
		keylogs []string
		ports   []uint16
	}{
		{"https2-v4.pcapng", []string{"https2-v4.pcapng.keylog"}, nil},
		{"h2c-prior-v4-50051.pcapng", nil, []uint16{50051}},
		{"h2c-upgrade-v6.pcapng", nil, nil},
		{"mixed-tls-v4.pcapng", []string{"mixed-tls-v4.pcapng.h1.keylog", "mixed-tls-v4.pcapng.h2.keylog"}, nil},
		{"https1-v4-8443.pcapng", []string{"https1-v4-8443.pcapng.keylog"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.file, func(t *testing.T) {
			t.Parallel()
			var tr truthFile
			raw, err := os.ReadFile(filepath.Join(dir, tc.file+".truth.json"))
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(raw, &tr); err != nil {
				t.Fatal(err)
			}
			connOf := map[uint16]int{}
			for _, c := range tr.Connections {
				connOf[uint16(c.ClientPort)] = c.Conn
			}
			keylog := ""
			if len(tc.keylogs) > 0 {
				keylog = filepath.Join(t.TempDir(), "keys")
				var all []byte
				for _, k := range tc.keylogs {
					b, err := os.ReadFile(filepath.Join(dir, k))
					if err != nil {
						t.Fatal(err)
					}
					all = append(all, b...)
				}
				if err := os.WriteFile(keylog, all, 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var got []exchange.Exchange
			pr := NewPairer(func(e *exchange.Exchange) error { got = append(got, *e); return nil })
			if _, err := dissect.Run(context.Background(), bin, Spec(filepath.Join(dir, tc.file), keylog, tc.ports), ToPacket, pr.Add); err != nil {
				t.Fatal(err)
			}
			st, err := pr.Flush()
			if err != nil {
				t.Fatal(err)
			}
			var want, have []string
			wantTTFB := map[string]float64{}
			pushes := 0
			for _, e := range tr.Exchanges {
				if e.Proto != "h2" {
					continue
				}
				if e.PushedBy != 0 {
					pushes++
					continue
				}
				grpc, why := "", ""
				if e.GRPCStatus != nil {
					grpc = *e.GRPCStatus
				}
				switch {
				case e.Reset != nil && !e.EarlyAnswer:
					why = "reset " + e.Reset.By + " " + e.Reset.Code
				case e.Cut != "":
					why = e.Cut
				}
				l := line(e.Conn, e.Stream, e.Method, e.Path, e.Status, len(e.Interim), grpc, why)
				want = append(want, l)
				if e.TTFB > 0 {
					wantTTFB[l] = e.TTFB / 1e9
				}
			}
			var worst float64
			for _, e := range got {
				why := ""
				switch {
				case e.Unanswered == "reset" || (e.Reset != "" && e.RespLastUnknown):
					// Reset before the response or in the middle of it;
					// after its end (an early answer) it is no cut.
					why = "reset " + e.Reset
				case e.Unanswered == "goaway" || e.Unanswered == "capture_end":
					why = e.Unanswered
				}
				l := line(connOf[e.Client.Port()], e.StreamID, e.Method, e.URI, e.Status, e.Interim, e.GRPCStatus, why)
				have = append(have, l)
				if w, ok := wantTTFB[l]; ok && e.Status != 0 {
					d := math.Abs(e.TTFB() - w)
					worst = max(worst, d)
					if d > max(0.01*w, 300e-6) {
						t.Errorf("%s: ttfb %.6f s, truth %.6f s", l, e.TTFB(), w)
					}
				}
			}
			sort.Strings(want)
			sort.Strings(have)
			if d := testutil.Diff(strings.Join(want, "\n"), strings.Join(have, "\n")); d != "" {
				t.Errorf("streams differ from the truth (-truth +got):\n%s", d)
			}
			if st.Pushes != pushes {
				t.Errorf("pushes: got %d, truth %d", st.Pushes, pushes)
			}
			t.Logf("%d streams, worst ttfb difference %.1f µs, stats %+v", len(got), worst*1e6, st)
		})
	}
}
