// Command recordhttp records a real HTTP/1.1 conversation on loopback with
// dumpcap and writes the ground truth beside the capture. It is how the
// captures in testdata/http were made (see scripts/make-testdata.sh).
//
// A raw-socket HTTP/1.1 server and its clients run in this process, so one
// clock times both sides: for every request the truth file records when the
// client wrote its first byte, when the server had read it completely, and
// when the server wrote the first byte of the final response. Per-request
// server delays are drawn from a seeded lognormal distribution and carried
// in the request URI, so a scenario is reproducible up to scheduling noise.
//
// Usage:
//
//	go run ./scripts/recordhttp -scenario keepalive -out testdata/http/keepalive-v4.pcapng
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math"
	"math/rand/v2"
	"net"
	"net/url"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pcapmeter/pcapmeter/scripts/internal/dumpcap"
)

// Truth is written as JSON beside the capture.
type Truth struct {
	Scenario  string     `json:"scenario"`
	Command   string     `json:"command"`
	Server    string     `json:"server"` // ip:port
	Seed      uint64     `json:"seed"`
	Exchanges []Exchange `json:"exchanges"`
}

// Exchange is one request's truth. Durations are nanoseconds.
type Exchange struct {
	URI       string `json:"uri"`
	Method    string `json:"method"`
	Conn      int    `json:"conn"`
	Index     int    `json:"index"`
	Status    int    `json:"status"` // 0: never answered
	Interim   int    `json:"interim"`
	DelayNS   int64  `json:"delay_ns"`  // drawn server delay
	TTFBNS    int64  `json:"ttfb_ns"`   // client first write -> server first write of final response
	ServerNS  int64  `json:"server_ns"` // server read complete -> server first write
	RespBytes int    `json:"resp_body_bytes"`
	ReqSplit  bool   `json:"req_split"`
	Pipelined bool   `json:"pipelined"`
}

type reqSpec struct {
	method    string
	delay     time.Duration
	size      int
	body      int
	split     bool
	expect100 bool
	noReply   bool
	uri       string
}

type scenario struct {
	listen   string
	conns    int
	perConn  int
	pipeline int // >1: requests written back to back in batches of this size
	plan     func(r *rand.Rand, conn, i int) reqSpec
}

func lognormalDelay(r *rand.Rand, median time.Duration, sigma float64, min time.Duration) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*r.NormFloat64()))
	if d < min {
		d = min
	}
	return d.Round(time.Microsecond)
}

var scenarios = map[string]scenario{
	// Keep-alive over several connections, on IPv4 port 8080: GETs, POSTs
	// with bodies, requests split over two segments, large responses, and
	// one 100-continue upload per connection.
	"keepalive": {
		listen: "127.0.0.1:8080", conns: 4, perConn: 25,
		plan: func(r *rand.Rand, c, i int) reqSpec {
			s := reqSpec{method: "GET", delay: lognormalDelay(r, 20*time.Millisecond, 0.5, 10*time.Millisecond), size: 200 + r.IntN(3000)}
			switch {
			case i%10 == 3:
				s.size = 150_000 + r.IntN(100_000)
			case i%10 == 5:
				s.split = true
			case i%10 == 7:
				s.method, s.body = "POST", 500+r.IntN(2000)
			case i == 12:
				s.method, s.body, s.expect100 = "POST", 4000, true
			}
			return s
		},
	},
	// Pipelining over IPv6 on port 6000 (X11 to tshark unless told): each
	// connection writes its requests four at a time in one segment; the
	// last request of connection 0 is never answered.
	"pipelined": {
		listen: "[::1]:6000", conns: 3, perConn: 8, pipeline: 4,
		plan: func(r *rand.Rand, c, i int) reqSpec {
			s := reqSpec{method: "GET", delay: lognormalDelay(r, 15*time.Millisecond, 0.4, 10*time.Millisecond), size: 100 + r.IntN(2000)}
			if c == 0 && i == 7 {
				s.noReply = true
			}
			return s
		},
	},
}

func main() {
	name := flag.String("scenario", "keepalive", "scenario: keepalive or pipelined")
	out := flag.String("out", "", "capture file to write (pcapng); the truth goes to OUT.truth.json")
	seed := flag.Uint64("seed", 1, "seed of the delay and size draws")
	iface := flag.String("i", "lo", "loopback interface to record")
	flag.Parse()
	sc, ok := scenarios[*name]
	if !ok || *out == "" {
		log.Fatalf("usage: recordhttp -scenario keepalive|pipelined -out FILE.pcapng [-seed N]")
	}
	truth, err := record(sc, *name, *out, *seed, *iface)
	if err != nil {
		log.Fatal(err)
	}
	truth.Command = fmt.Sprintf("go run ./scripts/recordhttp -scenario %s -seed %d -out %s", *name, *seed, *out)
	b, _ := json.MarshalIndent(truth, "", "  ")
	if err := os.WriteFile(*out+".truth.json", append(b, '\n'), 0o644); err != nil {
		log.Fatal(err)
	}
	log.Printf("wrote %s and %s.truth.json (%d exchanges)", *out, *out, len(truth.Exchanges))
}

type serverRec struct {
	readDone, firstWrite time.Time
}

type clientRec struct {
	firstWrite time.Time
	status     int
	interim    int
}

func record(sc scenario, name, out string, seed uint64, iface string) (*Truth, error) {
	ln, err := net.Listen("tcp", sc.listen)
	if err != nil {
		return nil, err
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	capture, err := dumpcap.Start(iface, "tcp port "+strconv.Itoa(port), out)
	if err != nil {
		return nil, err
	}
	defer capture.Abort()

	var mu sync.Mutex
	srv := map[string]*serverRec{}
	go serve(ln, func(uri string, r serverRec) {
		mu.Lock()
		srv[uri] = &r
		mu.Unlock()
	})

	rng := rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
	plans := make([][]reqSpec, sc.conns)
	for c := range plans {
		for i := 0; i < sc.perConn; i++ {
			s := sc.plan(rng, c, i)
			q := url.Values{}
			q.Set("d", strconv.FormatInt(s.delay.Microseconds(), 10))
			q.Set("s", strconv.Itoa(s.size))
			if s.noReply {
				q.Set("noreply", "1")
			}
			s.uri = fmt.Sprintf("/c%d/r%d?%s", c, i, q.Encode())
			plans[c] = append(plans[c], s)
		}
	}
	cli := make([][]clientRec, sc.conns)
	var wg sync.WaitGroup
	errs := make(chan error, sc.conns)
	for c := range plans {
		wg.Add(1)
		go func(c int) {
			defer wg.Done()
			recs, err := runClient(ln.Addr().String(), plans[c], sc.pipeline)
			cli[c] = recs
			if err != nil {
				errs <- fmt.Errorf("client %d: %w", c, err)
			}
		}(c)
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		return nil, err
	}
	if err := capture.Stop(); err != nil {
		return nil, err
	}

	t := &Truth{Scenario: name, Server: ln.Addr().String(), Seed: seed}
	for c, plan := range plans {
		for i, s := range plan {
			ex := Exchange{URI: s.uri, Method: s.method, Conn: c, Index: i, DelayNS: s.delay.Nanoseconds(),
				ReqSplit: s.split, Pipelined: sc.pipeline > 1}
			if s.noReply {
				t.Exchanges = append(t.Exchanges, ex)
				continue
			}
			cr := cli[c][i]
			sr := srv[s.uri]
			if sr == nil || cr.status == 0 {
				return nil, fmt.Errorf("request %s has no record", s.uri)
			}
			ex.Status, ex.Interim, ex.RespBytes = cr.status, cr.interim, s.size
			ex.TTFBNS = sr.firstWrite.Sub(cr.firstWrite).Nanoseconds()
			ex.ServerNS = sr.firstWrite.Sub(sr.readDone).Nanoseconds()
			t.Exchanges = append(t.Exchanges, ex)
		}
	}
	sort.SliceStable(t.Exchanges, func(i, j int) bool { return t.Exchanges[i].URI < t.Exchanges[j].URI })
	return t, nil
}

// serve answers requests on every connection, one at a time per
// connection, as HTTP/1.1 requires.
func serve(ln net.Listener, note func(uri string, r serverRec)) {
	for {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		go func(conn net.Conn) {
			defer conn.Close()
			br := bufio.NewReader(conn)
			for {
				method, uri, hdr, err := readHead(br)
				if err != nil {
					return
				}
				_ = method
				if strings.EqualFold(hdr["expect"], "100-continue") {
					if _, err := io.WriteString(conn, "HTTP/1.1 100 Continue\r\n\r\n"); err != nil {
						return
					}
				}
				if n, _ := strconv.Atoi(hdr["content-length"]); n > 0 {
					if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
						return
					}
				}
				readDone := time.Now()
				u, _ := url.Parse(uri)
				q := u.Query()
				if q.Get("noreply") == "1" {
					return // close without answering
				}
				d, _ := strconv.Atoi(q.Get("d"))
				size, _ := strconv.Atoi(q.Get("s"))
				time.Sleep(time.Duration(d) * time.Microsecond)
				body := strings.Repeat("x", size)
				resp := fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n\r\n%s", size, body)
				first := time.Now()
				if _, err := io.WriteString(conn, resp); err != nil {
					return
				}
				note(uri, serverRec{readDone: readDone, firstWrite: first})
			}
		}(conn)
	}
}

func readHead(br *bufio.Reader) (method, uri string, hdr map[string]string, err error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return "", "", nil, err
	}
	parts := strings.Fields(line)
	if len(parts) < 2 {
		return "", "", nil, fmt.Errorf("bad start line %q", line)
	}
	hdr = map[string]string{}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return "", "", nil, err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		hdr[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return parts[0], parts[1], hdr, nil
}

func requestBytes(s reqSpec) (head, body string) {
	h := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: pcapmeter.test\r\nUser-Agent: recordhttp\r\n", s.method, s.uri)
	if s.body > 0 {
		h += fmt.Sprintf("Content-Type: text/plain\r\nContent-Length: %d\r\n", s.body)
		if s.expect100 {
			h += "Expect: 100-continue\r\n"
		}
	}
	return h + "\r\n", strings.Repeat("b", s.body)
}

// runClient sends plan over one keep-alive connection.
func runClient(addr string, plan []reqSpec, pipeline int) ([]clientRec, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	br := bufio.NewReader(conn)
	recs := make([]clientRec, len(plan))
	if pipeline > 1 {
		for start := 0; start < len(plan); start += pipeline {
			end := min(start+pipeline, len(plan))
			var batch strings.Builder
			for _, s := range plan[start:end] {
				h, b := requestBytes(s)
				batch.WriteString(h + b)
			}
			now := time.Now()
			if _, err := io.WriteString(conn, batch.String()); err != nil {
				return recs, err
			}
			for i := start; i < end; i++ {
				recs[i].firstWrite = now
			}
			for i := start; i < end; i++ {
				if plan[i].noReply {
					return recs, nil
				}
				if recs[i].status, recs[i].interim, err = readResponse(br); err != nil {
					return recs, err
				}
			}
		}
		return recs, nil
	}
	for i, s := range plan {
		h, b := requestBytes(s)
		recs[i].firstWrite = time.Now()
		switch {
		case s.expect100:
			if _, err := io.WriteString(conn, h); err != nil {
				return recs, err
			}
			status, _, err := readStatus(br)
			if err != nil || status != 100 {
				return recs, fmt.Errorf("expected 100 Continue, got %d %v", status, err)
			}
			recs[i].interim++
			if _, err := io.WriteString(conn, b); err != nil {
				return recs, err
			}
		case s.split:
			whole := h + b
			cut := len(whole) / 2
			if _, err := io.WriteString(conn, whole[:cut]); err != nil {
				return recs, err
			}
			time.Sleep(5 * time.Millisecond)
			if _, err := io.WriteString(conn, whole[cut:]); err != nil {
				return recs, err
			}
		default:
			if _, err := io.WriteString(conn, h+b); err != nil {
				return recs, err
			}
		}
		if s.noReply {
			return recs, nil
		}
		st, interim, err := readResponse(br)
		if err != nil {
			return recs, err
		}
		recs[i].status = st
		recs[i].interim += interim
	}
	return recs, nil
}

func readStatus(br *bufio.Reader) (int, map[string]string, error) {
	line, err := br.ReadString('\n')
	if err != nil {
		return 0, nil, err
	}
	f := strings.Fields(line)
	if len(f) < 2 {
		return 0, nil, fmt.Errorf("bad status line %q", line)
	}
	code, _ := strconv.Atoi(f[1])
	hdr := map[string]string{}
	for {
		l, err := br.ReadString('\n')
		if err != nil {
			return 0, nil, err
		}
		l = strings.TrimRight(l, "\r\n")
		if l == "" {
			break
		}
		k, v, _ := strings.Cut(l, ":")
		hdr[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return code, hdr, nil
}

func readResponse(br *bufio.Reader) (status, interim int, err error) {
	for {
		code, hdr, err := readStatus(br)
		if err != nil {
			return 0, interim, err
		}
		if code >= 100 && code < 200 {
			interim++
			continue
		}
		n, _ := strconv.Atoi(hdr["content-length"])
		if _, err := io.CopyN(io.Discard, br, int64(n)); err != nil {
			return 0, interim, err
		}
		return code, interim, nil
	}
}
