package main

import (
	"crypto/tls"
	"fmt"
	"math"
	"math/rand/v2"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// reqSpec is one planned request and what the server is to do with it.
type reqSpec struct {
	Method       string
	Path         string // carries the plan in its query, except for gRPC
	Plan         string // the plan as a query string (x-plan for gRPC)
	Delay        time.Duration
	Pause        time.Duration // between the two halves of the body
	Size         int
	ReqBody      int
	Status       int
	EarlyHints   bool
	Trailers     bool
	GRPC         bool
	GRPCStatus   int
	TrailersOnly bool
	Push         bool
	BigHeader    bool
	BigReqHeader bool
	SplitHeaders bool
	EarlyAnswer  bool // a POST answered before its body is complete
	Hang         bool // never answered: cut by the end of the capture
	ServerReset  string
	ClientReset  string
}

// connPlan is one client connection.
type connPlan struct {
	Kind         string // h1, h2, h2c-upgrade, websocket, h1-upgrade-refused
	TLSMax       uint16 // 0: TLS 1.3
	KeyLog       string // key log file suffix; "" for cleartext
	Upgrade      *reqSpec
	Bursts       [][]*reqSpec // h2: a burst's streams start together
	ClientGoAway bool
	Coalesce     int      // 1-based burst whose requests go out in one write (0: none)
	Hang         *reqSpec // started after every connection is done
}

type scenario struct {
	listen     string
	tls        bool
	h2cUpgrade bool   // the handler answers Upgrade: h2c (x/net's h2c)
	decodeAs   string // what tshark needs to be told, for the truth file
	out        string
	about      string
	plan       func(r *rand.Rand) []connPlan
}

func lognormal(r *rand.Rand, median time.Duration, sigma float64, min time.Duration) time.Duration {
	d := time.Duration(float64(median) * math.Exp(sigma*r.NormFloat64()))
	return max(d, min).Round(time.Microsecond)
}

// finish writes the plan into the request's path (or Plan for gRPC).
func (s *reqSpec) finish(path string) *reqSpec {
	q := url.Values{}
	set := func(k string, on bool, v string) {
		if on {
			q.Set(k, v)
		}
	}
	set("d", true, strconv.FormatInt(s.Delay.Microseconds(), 10))
	set("s", true, strconv.Itoa(s.Size))
	set("p", s.Pause > 0, strconv.FormatInt(s.Pause.Microseconds(), 10))
	set("st", s.Status != 0 && s.Status != 200, strconv.Itoa(s.Status))
	set("eh", s.EarlyHints, "1")
	set("tr", s.Trailers, "1")
	set("grpc", s.GRPC, strconv.Itoa(s.GRPCStatus))
	set("to", s.TrailersOnly, "1")
	set("push", s.Push, "1")
	set("bigh", s.BigHeader, "1")
	set("early", s.EarlyAnswer, "1")
	set("hang", s.Hang, "1")
	set("rst", s.ServerReset != "", s.ServerReset)
	s.Plan = q.Encode()
	s.Path = path
	if !s.GRPC {
		s.Path += "?" + s.Plan
	}
	if s.Method == "" {
		s.Method = "GET"
	}
	return s
}

// h2Stream draws stream i of a multiplexed connection; the features come
// round by index so every capture has each of them a known number of times.
func h2Stream(r *rand.Rand, c, i int, rich bool) *reqSpec {
	s := &reqSpec{Delay: lognormal(r, 20*time.Millisecond, 0.7, 3*time.Millisecond), Size: 100 + r.IntN(3000)}
	switch {
	case i%10 == 1:
		s.EarlyHints = true
	case i%10 == 3:
		s.Trailers = true
	case i%10 == 5:
		s.Method, s.ReqBody = "POST", 500+r.IntN(2000)
	case i%10 == 8:
		s.Size = 17000 + r.IntN(8000) // more than one DATA frame
	}
	switch i % 20 {
	case 7:
		s.ClientReset, s.Delay = "before", max(s.Delay, 40*time.Millisecond)
	case 17:
		s.ClientReset, s.Pause = "mid", 40*time.Millisecond
	case 9:
		s.ServerReset = "before"
	case 19:
		s.ServerReset, s.Pause = "mid", 40*time.Millisecond
	}
	if rich {
		switch i {
		case 11, 51:
			s.Push = true
		case 13:
			s.BigHeader = true
		case 15:
			s.BigReqHeader = true
		case 21, 61:
			s.SplitHeaders = true
		case 25:
			s.Method, s.ReqBody, s.EarlyAnswer = "POST", 4000, true
		case 33:
			s.Status = 404
		case 43:
			s.Status = 503
		}
	}
	return s.finish(fmt.Sprintf("/c%d/s%d", c, i))
}

// inStep draws stream i of a burst whose answers are all due at the same
// moment, so that the server writes frames of several streams in one
// packet.
func inStep(r *rand.Rand, c, i int) *reqSpec {
	s := &reqSpec{Delay: 25 * time.Millisecond, Size: 100 + r.IntN(400)}
	switch i % 3 {
	case 1:
		s.EarlyHints = true
	case 2:
		s.Trailers = true
	}
	return s.finish(fmt.Sprintf("/c%d/step%d", c, i))
}

// grpcCall draws call i: most succeed, some fail with a trailers-only
// answer, some fail after a message.
func grpcCall(r *rand.Rand, i int) *reqSpec {
	s := &reqSpec{Method: "POST", GRPC: true, Delay: lognormal(r, 15*time.Millisecond, 0.5, 3*time.Millisecond),
		Size: 20 + r.IntN(400), ReqBody: 20 + r.IntN(200)}
	switch i % 6 {
	case 2:
		s.GRPCStatus, s.TrailersOnly = 5, true // NOT_FOUND
	case 4:
		s.GRPCStatus = 14 // UNAVAILABLE
	}
	return s.finish("/echo.Echo/Say")
}

func bursts(n, size int, draw func(i int) *reqSpec) [][]*reqSpec {
	var out [][]*reqSpec
	for b := 0; b < n; b++ {
		var burst []*reqSpec
		for i := 0; i < size; i++ {
			burst = append(burst, draw(b*size+i))
		}
		out = append(out, burst)
	}
	return out
}

// h1Request draws request i of a keep-alive HTTP/1.1 connection.
func h1Request(r *rand.Rand, c, i int) *reqSpec {
	s := &reqSpec{Delay: lognormal(r, 20*time.Millisecond, 0.5, 5*time.Millisecond), Size: 200 + r.IntN(3000)}
	switch {
	case i%5 == 2:
		s.EarlyHints = true
	case i%5 == 4:
		s.Trailers = true
	case i%4 == 1:
		s.Method, s.ReqBody = "POST", 300+r.IntN(2000)
	}
	switch i {
	case 6:
		s.Size = 40000
	case 9:
		s.Status = 404
	}
	return s.finish(fmt.Sprintf("/c%d/r%d", c, i))
}

func h1Conn(r *rand.Rand, c, n int, max uint16, keylog string) connPlan {
	var reqs []*reqSpec
	for i := 0; i < n; i++ {
		reqs = append(reqs, h1Request(r, c, i))
	}
	return connPlan{Kind: "h1", TLSMax: max, KeyLog: keylog, Bursts: [][]*reqSpec{reqs}}
}

var scenarios = map[string]scenario{
	"https1": {
		listen: "127.0.0.1:8443", tls: true, out: "testdata/h2/https1-v4-8443.pcapng",
		about: "HTTPS/1.1 keep-alive, 3 connections (one TLS 1.2), 103 Early Hints, chunked trailers",
		plan: func(r *rand.Rand) []connPlan {
			return []connPlan{h1Conn(r, 0, 12, 0, "keylog"), h1Conn(r, 1, 12, tls.VersionTLS12, "keylog"),
				h1Conn(r, 2, 12, 0, "keylog")}
		},
	},
	"https2": {
		listen: "127.0.0.1:443", tls: true, out: "testdata/h2/https2-v4.pcapng",
		about: "HTTP/2 over TLS: 80 multiplexed streams and 12 requested in one write (resets both ways, 103, trailers, push, CONTINUATION, " +
			"split HEADERS, early answer, a stream cut by the capture's end, server GOAWAY) and 24 gRPC calls",
		plan: func(r *rand.Rand) []connPlan {
			c0 := connPlan{Kind: "h2", KeyLog: "keylog",
				Bursts: append(bursts(2, 40, func(i int) *reqSpec { return h2Stream(r, 0, i, true) }),
					bursts(1, 12, func(i int) *reqSpec { return inStep(r, 0, i) })...),
				Coalesce: 3,
				Hang:     (&reqSpec{Hang: true, Size: 100}).finish("/c0/hang")}
			c1 := connPlan{Kind: "h2", KeyLog: "keylog", ClientGoAway: true,
				Bursts: bursts(3, 8, func(i int) *reqSpec { return grpcCall(r, i) })}
			return []connPlan{c0, c1}
		},
	},
	"h2c-prior": {
		listen: "127.0.0.1:50051", decodeAs: "tcp.port==50051,http2", out: "testdata/h2/h2c-prior-v4-50051.pcapng",
		about: "cleartext HTTP/2 with prior knowledge on a port tshark does not know: 30 multiplexed streams (push, CONTINUATION both ways, split HEADERS, early answer), 10 requested in one write, 12 gRPC calls",
		plan: func(r *rand.Rand) []connPlan {
			return []connPlan{
				{Kind: "h2", Coalesce: 2, Bursts: append(bursts(1, 30, func(i int) *reqSpec { return h2Stream(r, 0, i, true) }),
					bursts(1, 10, func(i int) *reqSpec { return inStep(r, 0, i) })...)},
				{Kind: "h2", Bursts: bursts(2, 6, func(i int) *reqSpec { return grpcCall(r, i) })},
			}
		},
	},
	"h2c-upgrade": {
		listen: "[::1]:8080", h2cUpgrade: true, out: "testdata/h2/h2c-upgrade-v6.pcapng",
		about: "HTTP/1.1 Upgrade: h2c → 101 → HTTP/2 (GET and POST upgrades, more streams after), " +
			"a WebSocket 101, and an Upgrade: h2c the server does not take",
		plan: func(r *rand.Rand) []connPlan {
			up := func(c int, method string, body int) *reqSpec {
				return (&reqSpec{Method: method, ReqBody: body, Delay: 30 * time.Millisecond, Size: 1500}).finish(fmt.Sprintf("/c%d/up", c))
			}
			return []connPlan{
				{Kind: "h2c-upgrade", Upgrade: up(0, "GET", 0), Bursts: bursts(1, 12, func(i int) *reqSpec { return h2Stream(r, 0, i+1, false) })},
				{Kind: "h2c-upgrade", Upgrade: up(1, "POST", 300), Bursts: bursts(1, 4, func(i int) *reqSpec { return h2Stream(r, 1, i+1, false) })},
				{Kind: "websocket", Bursts: [][]*reqSpec{{(&reqSpec{Size: 0}).finish("/ws")}}},
				{Kind: "h1-upgrade-refused", Bursts: [][]*reqSpec{{h1Request(r, 3, 0), h1Request(r, 3, 1), h1Request(r, 3, 3)}}},
			}
		},
	},
	"mixed": {
		listen: "127.0.0.1:443", tls: true, out: "testdata/h2/mixed-tls-v4.pcapng",
		about: "one TLS server, HTTP/1.1 and HTTP/2 connections side by side; each protocol's keys in its own key log",
		plan: func(r *rand.Rand) []connPlan {
			h2 := func(c int) connPlan {
				return connPlan{Kind: "h2", KeyLog: "h2.keylog", Bursts: bursts(1, 20, func(i int) *reqSpec { return h2Stream(r, c, i, false) })}
			}
			return []connPlan{h1Conn(r, 0, 10, 0, "h1.keylog"), h1Conn(r, 1, 10, 0, "h1.keylog"), h2(2), h2(3)}
		},
	},
}

// benchScenario is one of four captures of the same traffic shape
// (small delays, many exchanges) over HTTP/1.1 or HTTP/2, with or without
// TLS, for measuring what decryption and HTTP/2 dissection cost tshark.
// They are big, so they go to /tmp, not testdata.
func benchScenario(useTLS, h2 bool) scenario {
	s := scenario{listen: "127.0.0.1:8080", tls: useTLS}
	kind, keylog := "h1", ""
	if useTLS {
		s.listen, keylog = "127.0.0.1:443", "keylog"
	}
	if h2 {
		kind = "h2"
		if !useTLS {
			s.listen, s.decodeAs = "127.0.0.1:50051", "tcp.port==50051,http2"
		}
	}
	name := map[[2]bool]string{{false, false}: "bench-h1", {true, false}: "bench-https1",
		{false, true}: "bench-h2c", {true, true}: "bench-https2"}[[2]bool{useTLS, h2}]
	s.out, s.about = "/tmp/pcapmeter-bench/"+name+".pcapng", "benchmark traffic: 4 connections × 8000 small exchanges"
	s.plan = func(r *rand.Rand) []connPlan {
		draw := func(i int) *reqSpec {
			return (&reqSpec{Delay: lognormal(r, time.Millisecond, 0.3, 200*time.Microsecond),
				Size: 100 + r.IntN(3000)}).finish(fmt.Sprintf("/b/%d", i))
		}
		var out []connPlan
		for c := 0; c < 4; c++ {
			p := connPlan{Kind: kind, KeyLog: keylog}
			if h2 {
				p.Bursts = bursts(160, 50, draw)
			} else {
				p.Bursts = bursts(1, 8000, draw)
			}
			out = append(out, p)
		}
		return out
	}
	return s
}

func init() {
	for _, t := range []bool{false, true} {
		for _, h2 := range []bool{false, true} {
			s := benchScenario(t, h2)
			scenarios[strings.TrimSuffix(filepath.Base(s.out), ".pcapng")] = s
		}
	}
}
