package tcpconn

import (
	"context"
	"encoding/json"
	"math"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/internal/tlshs"
)

// tlsTruth is scripts/recordtls' truth file.
type tlsTruth struct {
	Connections []struct {
		ClientPort        int    `json:"client_port"`
		Case              string `json:"case"`
		TLS               bool   `json:"tls"`
		Version           string `json:"tls_version"`
		Resumed           bool   `json:"resumed"`
		HelloRetry        bool   `json:"hello_retry"`
		ClientHelloNS     int64  `json:"client_hello_ns"`
		ServerHelloNS     int64  `json:"server_hello_ns"`
		ServerFinishedNS  int64  `json:"server_finished_ns"`
		ServerFlightEndNS int64  `json:"server_flight_end_ns"`
		HandshakeDoneNS   int64  `json:"handshake_done_ns"`
	} `json:"connections"`
}

// truthTolerance bounds capture time against write time. The recorder
// writes its server's flights in pieces at least 200 µs apart, so a
// figure taken from the wrong segment is off by more than this.
const truthTolerance = 100e-6

func tlsCapture() string { return testutil.Testdata("tls", "handshakes-v4.pcapng") }

// keyed is the TLS capture measured with its key log, once for the tests
// that need it (each tshark run costs a few hundred ms of CPU).
var keyed = sync.OnceValues(func() (*Result, error) {
	return Run(context.Background(), Options{File: tlsCapture(), KeyLogs: []string{tlsCapture() + ".keylog"}})
})

func keyedResult(t *testing.T) *Result {
	t.Helper()
	testutil.Tshark(t)
	r, err := keyed()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestTLSHandshakeTruth: every kind of handshake of the recorded capture,
// without and with the key log, against what the Go client and server
// wrote. Hello and handshake times are the segments completing the
// ServerHello and the server's Finished (within the tolerance); without
// keys a TLS 1.3 handshake ends at the server's flight, at or after its
// Finished and no later than the flight's last piece, and is flagged so;
// resumption, HelloRetryRequest and failures are named per connection.
func TestTLSHandshakeTruth(t *testing.T) {
	t.Parallel()
	file := tlsCapture()
	var truth tlsTruth
	testutil.ReadJSON(t, file+".truth.json", &truth)
	for _, keys := range []bool{false, true} {
		t.Run("keys="+strconv.FormatBool(keys), func(t *testing.T) {
			t.Parallel()
			var res *Result
			if keys {
				res = keyedResult(t)
			} else {
				res = analyse(t, Options{File: file})
			}
			byPort := map[int]*Conn{}
			for _, c := range res.Connections {
				byPort[int(c.Client.Port())] = c
			}
			for _, tc := range truth.Connections {
				c := byPort[tc.ClientPort]
				if c == nil {
					t.Fatalf("%s: no connection from port %d", tc.Case, tc.ClientPort)
				}
				h := c.TLS
				if !tc.TLS {
					if h != nil {
						t.Errorf("%s: TLS %+v on a cleartext connection", tc.Case, h)
					}
					continue
				}
				if h == nil {
					t.Fatalf("%s: no TLS handshake", tc.Case)
				}
				checkTruth(t, tc.Case, keys, h, tc.Version, tc.Resumed, tc.HelloRetry, tc.HandshakeDoneNS != 0,
					tc.ClientHelloNS, tc.ServerHelloNS, tc.ServerFinishedNS, tc.ServerFlightEndNS)
			}
			s := res.Summary.TLS
			flight := 3 // the TLS 1.3 handshakes that completed
			if keys {
				flight = 0
			}
			if s.Connections != 7 || s.Completed != 5 || s.Resumed != 2 || s.HelloRetry != 1 || s.FlightEnd != flight ||
				s.ByVersion["TLS 1.3"] != 4 || s.ByVersion["TLS 1.2"] != 2 || s.Incomplete[tlshs.AlertByServer] != 1 ||
				s.Incomplete[tlshs.AlertByClient] != 1 || s.HelloRTT.N != 6 || s.Time.N != 5 {
				t.Errorf("summary %+v", s)
			}
		})
	}
}

func near(got float64, ns int64) bool { return math.Abs(got-float64(ns)/1e9) < truthTolerance }

func checkTruth(t *testing.T, name string, keys bool, h *tlshs.Handshake, version string, resumed, retry, done bool, ch, sh, fin, flightEnd int64) {
	t.Helper()
	if done && h.Version != version {
		t.Errorf("%s: version %q, want %q", name, h.Version, version)
	}
	if h.Resumed != resumed || h.HelloRetry != retry || h.SNI != "pcapmeter.test" {
		t.Errorf("%s: resumed %v hello_retry %v sni %q, want %v %v", name, h.Resumed, h.HelloRetry, h.SNI, resumed, retry)
	}
	if keys != h.Decrypted && (!keys || h.Version == "TLS 1.3") {
		t.Errorf("%s: decrypted %v with keys %v", name, h.Decrypted, keys)
	}
	if sh == 0 {
		if h.HasHelloRTT {
			t.Errorf("%s: hello RTT %v without a ServerHello", name, h.HelloRTT)
		}
	} else if !h.HasHelloRTT || !near(h.HelloRTT, sh-ch) {
		t.Errorf("%s: hello RTT %v (%v), truth %v", name, h.HelloRTT, h.HasHelloRTT, float64(sh-ch)/1e9)
	}
	switch {
	case !done:
		if h.HasTime || h.Incomplete == "" {
			t.Errorf("%s: failed handshake with time %v, reason %q", name, h.Time, h.Incomplete)
		}
	case keys || version == "TLS 1.2":
		if !h.HasTime || h.End != tlshs.EndServerFinished || !near(h.Time, fin-ch) {
			t.Errorf("%s: handshake %v to %s, truth %v to the server Finished", name, h.Time, h.End, float64(fin-ch)/1e9)
		}
	default:
		lo, hi := float64(fin-ch)/1e9-truthTolerance, float64(flightEnd-ch)/1e9+truthTolerance
		if !h.HasTime || h.End != tlshs.EndServerFlight || h.Time < lo || h.Time > hi {
			t.Errorf("%s: handshake %v to %s, want the server's flight end in [%v, %v]", name, h.Time, h.End, lo, hi)
		}
	}
	switch name {
	case "server-refuses-hello":
		if h.Incomplete != tlshs.AlertByServer || h.Alert != "Protocol Version" || h.Version != "" {
			t.Errorf("%s: %+v", name, h)
		}
	case "client-refuses-certificate":
		want := "encrypted, inferred from its 19-byte record"
		if keys {
			want = "Bad Certificate"
		}
		if h.Incomplete != tlshs.AlertByClient || h.Alert != want {
			t.Errorf("%s: %q %q, want alert by client %q", name, h.Incomplete, h.Alert, want)
		}
	}
}

// TestTLSHandshakeIllustrated: the two public captures of
// tls12.xargs.org and tls13.xargs.org, read off their frames by hand
// (tshark -T fields -e frame.time_epoch): TLS 1.2, ClientHello frame 5 at
// .286169, ServerHello frame 7 at .288586, server Finished (after its
// ChangeCipherSpec) frame 11 at .289570; TLS 1.3, ClientHello frame 5 at
// .287068, the server's whole flight in frame 7 at .343971.
func TestTLSHandshakeIllustrated(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name        string
		version     string
		hello, time float64
		endFrame    int64
		noKeysEnd   string
	}{
		{"illustrated-tls12", "TLS 1.2", 0.288586 - 0.286169, 0.289570 - 0.286169, 11, tlshs.EndServerFinished},
		{"illustrated-tls13", "TLS 1.3", 0.343971 - 0.287068, 0.343971 - 0.287068, 7, tlshs.EndServerFlight},
	}
	for _, c := range cases {
		for _, keys := range []bool{false, true} {
			t.Run(c.name+"/keys="+strconv.FormatBool(keys), func(t *testing.T) {
				t.Parallel()
				opt := Options{File: testutil.Shared(t, "tls/"+c.name+"_capture.pcap")}
				end := c.noKeysEnd
				if keys {
					opt.KeyLogs, end = []string{testutil.Shared(t, "tls/"+c.name+"_keylog.txt")}, tlshs.EndServerFinished
				}
				res := analyse(t, opt)
				h := res.Connections[0].TLS
				if h == nil || h.Version != c.version || !h.HasHelloRTT || !eq(h.HelloRTT, c.hello) || !h.HasTime || !eq(h.Time, c.time) ||
					h.End != end || h.EndFrame != c.endFrame || h.ClientHelloFrame != 5 || h.Decrypted != keys || h.Resumed || h.HelloRetry {
					t.Errorf("%+v", h)
				}
			})
		}
	}
}

// TestTLSHandshakeCut: handshakes the capture does not hold whole, cut
// out of the recorded capture with editcap: a ClientHello alone is
// unanswered; a capture ending with the server's flight has no client
// Finished (with keys: the server's Finished was decrypted) or, without
// keys, no known end of the server's flight; a capture starting after the
// ClientHello has no handshake to time.
func TestTLSHandshakeCut(t *testing.T) {
	t.Parallel()
	file := tlsCapture()
	keys := []string{file + ".keylog"}
	full := keyedResult(t).Connections[0].TLS
	hello, end := full.ClientHelloFrame, full.EndFrame
	dir := t.TempDir()
	cut := func(name, frames string) string {
		out := filepath.Join(dir, name)
		if b, err := exec.Command("editcap", "-r", file, out, frames).CombinedOutput(); err != nil {
			t.Skipf("editcap: %v %s", err, b)
		}
		return out
	}
	n := strconv.FormatInt
	cases := []struct {
		file string
		keys []string
		want string
	}{
		{cut("hello.pcapng", "1-"+n(hello, 10)), nil, tlshs.NoServerHello},
		{cut("flight.pcapng", "1-"+n(end, 10)), keys, tlshs.NoClientFinished},
		{cut("flight.pcapng", "1-"+n(end, 10)), nil, tlshs.NoServerFinished},
		{cut("late.pcapng", n(hello+1, 10)+"-"+n(end+20, 10)), keys, tlshs.NoClientHello},
	}
	for _, c := range cases {
		h := analyse(t, Options{File: c.file, KeyLogs: c.keys}).Connections[0].TLS
		if h == nil || h.Incomplete != c.want || h.HasTime {
			t.Errorf("%s (keys %v): %+v, want %s", filepath.Base(c.file), c.keys != nil, h, c.want)
		}
	}
}

// TestShardedTLSKeys: split into shards, each shard's tshark gets the key
// log and every TLS connection whole: the handshakes are those of one
// tshark over the file, decrypted alike.
func TestShardedTLSKeys(t *testing.T) {
	testutil.Tshark(t)
	old := minShardPackets
	minShardPackets = 0
	defer func() { minShardPackets = old }()
	file := tlsCapture()
	keys := []string{file + ".keylog"}
	one := keyedResult(t)
	before := splits.Load()
	split := analyse(t, Options{File: file, KeyLogs: keys, Jobs: 3})
	if splits.Load() != before+1 {
		t.Errorf("not split (fell back to one tshark)")
	}
	a, _ := json.MarshalIndent(one, "", " ")
	b, _ := json.MarshalIndent(split, "", " ")
	if string(a) != string(b) {
		t.Errorf("3 shards differ from one tshark:\n%s", testutil.Diff(string(a), string(b)))
	}
	if c := oneJobShards(t, Options{File: file, KeyLogs: keys, Jobs: 1}); !reflect.DeepEqual(c, one) {
		c, _ := json.MarshalIndent(c, "", " ")
		t.Errorf("3 shards one after another (2 spilled) differ from one tshark:\n%s", testutil.Diff(string(a), string(c)))
	}
	if one.Summary.TLS.Decrypted != 5 || !strings.Contains(string(a), `"decrypted": true`) {
		t.Errorf("decrypted %d, want the 5 TLS 1.3 and full TLS 1.2 handshakes", one.Summary.TLS.Decrypted)
	}
}

// TestTLSHandshakeBrowsing: a real browser's TLS 1.2 to www.bing.com
// (suricata's browsing capture, tcp.stream 4), read off by hand: the
// ClientHello in frame 49 at .771676; the server's first flight is one
// record over six segments, frames 51 (at .804809) to 59, which tshark
// reports on 59: the hello is timed from its first segment; the server's
// Finished after its ChangeCipherSpec in frame 63 at .865259.
func TestTLSHandshakeBrowsing(t *testing.T) {
	t.Parallel()
	res := analyse(t, Options{File: testutil.Shared(t, "http/suricata_browsing-mixed-tls-subjectaltname.pcap")})
	var h *tlshs.Handshake
	for _, c := range res.Connections {
		if c.Stream == 4 {
			h = c.TLS
		}
	}
	if h == nil || h.Version != "TLS 1.2" || h.SNI != "www.bing.com" || h.ClientHelloFrame != 49 || !eq(h.HelloRTT, 0.804809-0.771676) ||
		!h.HasTime || !eq(h.Time, 0.865259-0.771676) || h.End != tlshs.EndServerFinished || h.EndFrame != 63 {
		t.Errorf("%+v", h)
	}
	if s := res.Summary.TLS; s.Connections != 40 || s.Completed != 39 || s.Decrypted != 0 {
		t.Errorf("summary %+v", s)
	}
}
