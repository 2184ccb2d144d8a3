package main

import (
	"encoding/json"
	"fmt"
	"math"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestHTTPSIndependentPairing is issue #14's "done when": on HTTPS/1.1 and
// multiplexed HTTP/2 over TLS the printed latency figures equal, to the
// printed precision, a pairing of tshark's own decrypted frames written
// apart from pcapmeter's slices (tshark -T json, its packet tree): HTTP/2
// by connection and stream id, the client's first HEADERS to the server's
// first HEADERS with a :status of 200 or more, whether the stream then
// ended, was reset or was cut by the capture's end (its first byte is
// known all the same); HTTP/1.x by tshark's http.request_in (a final response after a
// 1xx, which tshark leaves unlinked, answering the 1xx's request). A
// message is timed at the first frame of its reassembly lists when it
// starts its packet.
func TestHTTPSIndependentPairing(t *testing.T) {
	testutil.Tshark(t)
	dir := filepath.Join("..", "..", "testdata", "h2")
	for _, c := range []struct {
		file string
		port int
		n    int
	}{
		{"https1-v4-8443.pcapng", 8443, 36},
		{"https2-v4.pcapng", 443, 0},
	} {
		t.Run(c.file, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(dir, c.file)
			lat := independentPairs(t, file, file+".keylog", c.port)
			if c.n != 0 && len(lat) != c.n {
				t.Errorf("independent pairing: %d exchanges, want %d", len(lat), c.n)
			}
			code, out, errs := pcapmeter(t, "http", file, "--keylog", file+".keylog", "-q")
			if code != 0 {
				t.Fatalf("exit %d %s", code, errs)
			}
			lines := strings.Split(out, "\n")
			want := fmt.Sprintf("AVERAGE LATENCY: %.5f\nPERCENTILES: %s", mean(lat), nearestRanks(lat))
			if got := lines[1] + "\n" + lines[2]; got != want {
				t.Errorf("pcapmeter:\n%s\nindependent (n=%d):\n%s", got, len(lat), want)
			}
			if !strings.Contains(out, fmt.Sprintf(" %d matched,", len(lat))) {
				t.Errorf("pcapmeter did not match %d exchanges:\n%s", len(lat), out)
			}
		})
	}
}

func mean(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x
	}
	return s / float64(len(v))
}

func nearestRanks(v []float64) string {
	s := slices.Clone(v)
	slices.Sort(s)
	var out []string
	for _, p := range []float64{25, 50, 75, 95, 99} {
		i := max(0, int(math.Ceil(p/100*float64(len(s))))-1)
		out = append(out, fmt.Sprintf("%.5f", s[i]))
	}
	return strings.Join(out, " ")
}

// list is a tshark JSON value as a list (--no-duplicate-keys makes a
// repeated key an array).
func list(v any) []any {
	switch x := v.(type) {
	case nil:
		return nil
	case []any:
		return x
	}
	return []any{v}
}

func obj(v any) map[string]any { m, _ := v.(map[string]any); return m }

func str(v any) string { s, _ := v.(string); return s }

// independentPairs pairs the capture's HTTP exchanges from tshark's
// decrypted packet tree and returns their ttfb.
func independentPairs(t *testing.T, file, keylog string, port int) []float64 {
	t.Helper()
	out, err := exec.Command("tshark", "-n", "-r", file, "-o", "tls.keylog_file:"+keylog, "-Y", "http2 || http || tcp.len > 0",
		"-T", "json", "--no-duplicate-keys", "-J", "frame tcp tls.segments tcp.segments http http2").Output()
	if err != nil {
		t.Fatalf("tshark: %v", err)
	}
	var pkts []struct {
		Source struct {
			Layers map[string]any `json:"layers"`
		} `json:"_source"`
	}
	if err := json.Unmarshal(out, &pkts); err != nil {
		t.Fatal(err)
	}
	p := &pairing{port: strconv.Itoa(port), times: map[int]float64{}, h2: map[h2key][2]float64{},
		h1req: map[int]float64{}, interim: map[int]int{}}
	for _, pk := range pkts {
		p.packet(pk.Source.Layers)
	}
	lat := p.latencies()
	if len(lat) == 0 {
		t.Fatal("independent pairing found nothing")
	}
	return lat
}

type h2key struct{ conn, sid int }

// pairing is the independent pairing's state over the packets.
type pairing struct {
	port    string
	times   map[int]float64      // frame → time, for first segments
	h2      map[h2key][2]float64 // request and final response HEADERS
	h1req   map[int]float64      // HTTP/1 request frame → first byte
	interim map[int]int          // connection → request of its last 1xx
	h1      [][2]float64         // HTTP/1 request and final response
}

func (p *pairing) packet(L map[string]any) {
	fn, _ := strconv.Atoi(str(obj(L["frame"])["frame.number"]))
	at, _ := strconv.ParseFloat(str(obj(L["frame"])["frame.time_epoch"]), 64)
	p.times[fn] = at
	tcp := obj(L["tcp"])
	conn, _ := strconv.Atoi(str(tcp["tcp.stream"]))
	fromClient := str(tcp["tcp.dstport"]) == p.port
	first := at
	for _, layer := range []string{"tcp.segments", "tls.segments"} {
		for _, s := range list(L[layer]) {
			for _, f := range append(list(obj(s)["tcp.segment"]), list(obj(s)["tls.segment"])...) {
				if n, _ := strconv.Atoi(str(f)); n > 0 && p.times[n] > 0 && p.times[n] < first {
					first = p.times[n]
				}
			}
		}
	}
	var frames []any
	for _, l := range list(L["http2"]) {
		frames = append(frames, list(obj(l)["http2.stream"])...)
	}
	for i, f := range frames {
		when := at
		if i == 0 {
			when = first
		}
		p.h2frame(conn, fromClient, when, obj(f))
	}
	for _, l := range list(L["http"]) {
		p.h1msg(conn, fn, fromClient, first, obj(l))
	}
}

func (p *pairing) h2frame(conn int, fromClient bool, when float64, fr map[string]any) {
	sid, _ := strconv.Atoi(str(fr["http2.streamid"]))
	k, typ := h2key{conn, sid}, str(fr["http2.type"])
	if typ != "1" {
		return
	}
	st := p.h2[k]
	switch {
	case fromClient && st[0] == 0:
		st[0] = when
	case !fromClient && st[0] != 0 && st[1] == 0 && finalStatus(fr):
		st[1] = when
	}
	p.h2[k] = st
}

func (p *pairing) h1msg(conn, fn int, fromClient bool, first float64, hl map[string]any) {
	code := 0
	for _, v := range hl {
		if c, ok := obj(v)["http.response.code"]; ok {
			code, _ = strconv.Atoi(str(c))
		}
	}
	switch {
	case fromClient && code == 0:
		p.h1req[fn] = first
	case !fromClient && code != 0:
		req := p.interim[conn]
		if r, ok := hl["http.request_in"]; ok {
			req, _ = strconv.Atoi(str(r))
		}
		if code < 200 {
			p.interim[conn] = req
		} else if q := p.h1req[req]; q != 0 {
			p.h1 = append(p.h1, [2]float64{q, first})
		}
	}
}

func (p *pairing) latencies() []float64 {
	var lat []float64
	for _, st := range p.h2 {
		if st[0] != 0 && st[1] != 0 {
			lat = append(lat, st[1]-st[0])
		}
	}
	for _, e := range p.h1 {
		lat = append(lat, e[1]-e[0])
	}
	return lat
}

// finalStatus says whether an HTTP/2 HEADERS frame carries a :status of
// 200 or more.
func finalStatus(fr map[string]any) bool {
	for _, h := range list(fr["http2.header"]) {
		if str(obj(h)["http2.header.name"]) == ":status" {
			n, _ := strconv.Atoi(str(obj(h)["http2.header.value"]))
			return n >= 200
		}
	}
	return false
}
