package synth_test

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/synth"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// TestScenariosCommitted regenerates every scenario: the committed capture
// and truth must be exactly what the generator writes, so the truth still
// describes the file (scripts/make-testdata.sh rewrites them).
func TestScenariosCommitted(t *testing.T) {
	for _, sc := range synth.Scenarios() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			var buf bytes.Buffer
			tr, err := sc.Generate(&buf)
			if err != nil {
				t.Fatal(err)
			}
			path := testutil.Testdata(sc.File)
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(buf.Bytes(), want) {
				t.Errorf("%s differs from what the generator writes: run scripts/make-testdata.sh and review", sc.File)
			}
			js, _ := json.MarshalIndent(tr, "", " ")
			wantJS, _ := os.ReadFile(path + ".truth.json")
			if !bytes.Equal(append(js, '\n'), wantJS) {
				t.Errorf("%s.truth.json differs from the generator's truth", sc.File)
			}
		})
	}
}

// TestOlderCapturesUnchanged regenerates the captures made before the
// detailed truth existed from the configuration in their truth files:
// the fields added since must not change a single byte of them.
func TestOlderCapturesUnchanged(t *testing.T) {
	for _, f := range []string{"http/synth-loss-reorder.pcapng", "http/synth-gaps-v6.pcap", "http/synth-pipelined-loss.pcapng"} {
		var truth synth.Truth
		testutil.ReadJSON(t, testutil.Testdata(f)+".truth.json", &truth)
		var buf bytes.Buffer
		if _, err := synth.Generate(truth.Config, &buf); err != nil {
			t.Fatal(err)
		}
		if want, _ := os.ReadFile(testutil.Testdata(f)); !bytes.Equal(buf.Bytes(), want) {
			t.Errorf("%s: generator output changed", f)
		}
	}
	var it synth.ICMPTruth
	testutil.ReadJSON(t, testutil.Testdata("icmp/synth-node.pcap.truth.json"), &it)
	var buf bytes.Buffer
	if _, err := synth.GenerateICMP(it.Config, &buf); err != nil {
		t.Fatal(err)
	}
	if want, _ := os.ReadFile(testutil.Testdata("icmp/synth-node.pcap")); !bytes.Equal(buf.Bytes(), want) {
		t.Error("icmp/synth-node.pcap: generator output changed")
	}
}

func scenarioTruth(t *testing.T, name string) *synth.Truth {
	t.Helper()
	sc, err := synth.FindScenario(name)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tr, err := sc.Generate(&buf)
	if err != nil {
		t.Fatal(err)
	}
	return tr.(*synth.Truth)
}

// verdicts counts exchanges by expect/reason, with "+ttlb?" for matched
// exchanges whose last byte the capture lacks and "+amb" for ambiguous ones.
func verdicts(tr *synth.Truth) map[string]int {
	out := map[string]int{}
	for _, e := range tr.Exchanges {
		k := e.Expect
		if e.Reason != "" {
			k += "/" + e.Reason
		}
		if e.TTLBUnknown {
			k += "+ttlb?"
		}
		if e.Ambiguous {
			k += "+amb"
		}
		out[k]++
	}
	return out
}

// TestScenarioVerdicts pins what each scenario is for: the verdicts its
// truth holds are those the scenario was built to produce.
func TestScenarioVerdicts(t *testing.T) {
	for _, c := range []struct {
		name string
		want map[string]int
	}{
		{"body-gaps", map[string]int{"matched": 11, "matched+ttlb?": 7}},
		{"client-gaps", map[string]int{"matched": 12, "orphan/request_in_gap": 2}},
		{"gap-and-hole", map[string]int{"matched": 12, "matched+ttlb?": 3, "unanswered/response_in_gap": 1}},
		{"mirror-erspan3", map[string]int{"matched": 9, "matched+ttlb?": 7, "orphan/request_in_gap": 3,
			"unanswered/response_in_gap": 2, "unanswered/response_start_in_gap": 3}},
		{"pipelined-gaps", map[string]int{"matched": 27, "matched+amb": 1, "matched+ttlb?": 1, "invisible+amb": 1,
			"orphan/request_in_gap": 1, "unanswered/response_in_gap": 5}},
		{"reset-end", map[string]int{"matched": 6, "unanswered/reset": 2, "unanswered/capture_ended": 1}},
		{"ring", map[string]int{"matched": 60}},
	} {
		got := verdicts(scenarioTruth(t, c.name))
		if !equalCounts(got, c.want) {
			t.Errorf("%s: verdicts %v, want %v", c.name, got, c.want)
		}
	}
}

func equalCounts(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}

// TestPipelinedAmbiguity checks the ambiguity rule where the scenario
// placed it: missing responses in a batch are decidable by counting (one
// run, or two runs of one each), an exchange missing in both directions
// is flagged (how many such exchanges a gap held is unknowable), and so is
// the exchange whose pairing moves when a missing request and a missing
// response are not at the same place in the batch.
func TestPipelinedAmbiguity(t *testing.T) {
	amb := map[string]bool{}
	for _, e := range scenarioTruth(t, "pipelined-gaps").Exchanges {
		if e.Ambiguous {
			amb[e.URI] = true
		}
	}
	want := []string{"/c2/r2", "/c2/r6"}
	if len(amb) != len(want) {
		t.Errorf("ambiguous %v, want %v", amb, want)
	}
	for _, u := range want {
		if !amb[u] {
			t.Errorf("%s not ambiguous", u)
		}
	}
}

// TestHandshakeTruth: the handshake RTT comes from the exchange that
// completed, never with a retransmission timeout in it, while the connect
// time keeps the timeouts and the SYN count says how many were sent.
func TestHandshakeTruth(t *testing.T) {
	for _, c := range []struct {
		name     string
		syns     []int   // SYNs sent per connection
		connectS []int64 // whole seconds of connect time
	}{
		{"handshake-client", []int{1, 2, 3, 2, 3}, []int64{0, 1, 3, 1, 3}},
		{"handshake-server", []int{1, 1, 2, 2}, []int64{0, 3, 6, 6}},
	} {
		tr := scenarioTruth(t, c.name)
		for i, tc := range tr.Connections {
			if tc.HandshakeRTT == nil || *tc.HandshakeRTT != tc.PathRTT+20_000 {
				t.Errorf("%s conn %d: handshake RTT %v, want the path RTT + 20 µs", c.name, i, tc.HandshakeRTT)
			}
			if tc.SYNsSent != c.syns[i] || tc.Connect/1e9 != c.connectS[i] {
				t.Errorf("%s conn %d: %d SYNs sent, connect %d ns; want %d, %d s", c.name, i, tc.SYNsSent, tc.Connect, c.syns[i], c.connectS[i])
			}
		}
	}
}

// TestFramesAgainstTshark reads every scenario capture with tshark, each
// segment dissected on its own, and checks the frames the truth names:
// the request's first frame carries its request line, the response's
// first frame a status line, at the sequence numbers and times the truth
// gives, on the tcp.stream it gives; SYN and SYN/ACK frames are what they
// say. Through GRE and ERSPAN too.
func TestFramesAgainstTshark(t *testing.T) {
	bin := testutil.Tshark(t)
	for _, sc := range synth.Scenarios() {
		if sc.HTTP == nil {
			continue
		}
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			var tr synth.Truth
			testutil.ReadJSON(t, testutil.Testdata(sc.File)+".truth.json", &tr)
			rows := frames(t, bin, testutil.Testdata(sc.File))
			if len(rows) != tr.Packets {
				t.Fatalf("tshark reads %d frames, truth %d", len(rows), tr.Packets)
			}
			checkExchanges(t, &tr, rows)
			for _, c := range tr.Connections {
				for _, f := range c.SYNFrames {
					if rows[f].flags != "0x0002" || rows[f].stream != strconv.Itoa(c.Stream) {
						t.Errorf("conn %d: SYN frame %d is %+v", c.Conn, f, rows[f])
					}
				}
				for _, f := range c.SYNACKFrames {
					if rows[f].flags != "0x0012" {
						t.Errorf("conn %d: SYN/ACK frame %d is %+v", c.Conn, f, rows[f])
					}
				}
			}
		})
	}
}

type frameRow struct {
	time, stream, seq, flags, uri, code, retrans string
}

func frames(t *testing.T, bin, path string) map[int]frameRow {
	t.Helper()
	spec := tshark.Spec{Input: path, Mode: tshark.Fields,
		Fields: []string{"frame.number", "frame.time_epoch", "tcp.stream", "tcp.seq", "tcp.flags", "http.request.uri", "http.response.code", "tcp.analysis.retransmission"},
		Prefs:  []string{"tcp.desegment_tcp_streams:FALSE"}}
	rows := map[int]frameRow{}
	_, err := dissect.Run(context.Background(), bin, spec, func(r *[]string) ([]string, error) { return *r, nil }, func(f *[]string) error {
		v := *f
		n, _ := strconv.Atoi(v[0])
		rows[n] = frameRow{v[1], v[2], v[3], v[4], v[5], v[6], v[7]}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return rows
}

func checkExchanges(t *testing.T, tr *synth.Truth, rows map[int]frameRow) {
	t.Helper()
	stream := map[int]string{}
	for _, c := range tr.Connections {
		stream[c.Conn] = strconv.Itoa(c.Stream)
	}
	for _, e := range tr.Exchanges {
		if f := e.ReqFirstFrame; f > 0 {
			r := rows[f]
			if r.uri != e.URI || r.seq != strconv.Itoa(int(e.ReqSeq)) || r.stream != stream[e.Conn] || nsOf(r.time) != e.ReqFirst {
				t.Errorf("%s: request frame %d is %+v; truth seq %d at %d", e.URI, f, r, e.ReqSeq, e.ReqFirst)
			}
		}
		if f := e.RespFirstFrame; f > 0 {
			// A retransmission that fills a hole is not handed to HTTP
			// when segments are dissected one by one (a tshark fact
			// the imperfect-capture notes record): its status line is
			// then not decoded, the rest still holds.
			r := rows[f]
			if (r.code != "200" && r.retrans == "") || r.seq != strconv.Itoa(int(e.RespSeq)) || nsOf(r.time) != e.RespFirst {
				t.Errorf("%s: response frame %d is %+v; truth seq %d at %d", e.URI, f, r, e.RespSeq, e.RespFirst)
			}
		}
		if f := e.RespFrame; f > 0 && nsOf(rows[f].time) != e.RespLast {
			t.Errorf("%s: response completes in frame %d at %s; truth %d", e.URI, f, rows[f].time, e.RespLast)
		}
		if e.TTLBUnknown && e.RespLastBound > 0 {
			last := nsOf(rows[e.RespSegments[len(e.RespSegments)-1]].time)
			if e.RespLastBound < e.RespLast || e.RespLastBound < last {
				t.Errorf("%s: last-byte bound %d below the truth %d or the last captured frame's %d", e.URI, e.RespLastBound, e.RespLast, last)
			}
		}
		if (e.Expect == synth.ExpectMatched) != (e.ReqFirstFrame > 0 && e.RespFirstFrame > 0) {
			t.Errorf("%s: expect %s with frames %d, %d", e.URI, e.Expect, e.ReqFirstFrame, e.RespFirstFrame)
		}
	}
}

// nsOf reads frame.time_epoch exactly.
func nsOf(s string) int64 {
	w, f, _ := strings.Cut(s, ".")
	sec, _ := strconv.ParseInt(w, 10, 64)
	ns, _ := strconv.ParseInt((f + "000000000")[:9], 10, 64)
	return sec*1e9 + ns
}

// TestICMPReuseTruth: after the first unanswered ping to a peer, every
// later reply from it is ambiguous (the unanswered request is still
// open with the same identifier and sequence number).
func TestICMPReuseTruth(t *testing.T) {
	sc, _ := synth.FindScenario("icmp-reuse")
	var buf bytes.Buffer
	v, err := sc.Generate(&buf)
	if err != nil {
		t.Fatal(err)
	}
	tr := v.(*synth.ICMPTruth)
	lost := map[string]bool{}
	n := 0
	for _, e := range tr.Echoes {
		if e.ReplyFrame == 0 {
			lost[e.Peer] = true
			continue
		}
		if e.Ambiguous != lost[e.Peer] {
			t.Errorf("echo %+v: ambiguous %v, a request to %s unanswered before: %v", e, e.Ambiguous, e.Peer, lost[e.Peer])
		}
		if e.Ambiguous {
			n++
		}
		if e.Seq != 0 || e.RTTNS <= 0 || e.RTTNS > 5e6 {
			t.Errorf("echo %+v", e)
		}
	}
	if n == 0 || n != tr.AmbiguousReplies {
		t.Errorf("%d ambiguous replies, truth says %d", n, tr.AmbiguousReplies)
	}
}
