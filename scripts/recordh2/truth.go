package main

import (
	"fmt"

	"golang.org/x/net/http2"
)

// Truth is written as JSON beside the capture. Every *_ns field is a wall
// clock time in nanoseconds since the Unix epoch, read in the recording
// process: the clients' writes, and the server's writes as its tap saw
// them. dumpcap stamps packets with the same clock, a few microseconds
// after the write.
type Truth struct {
	Scenario    string      `json:"scenario"`
	About       string      `json:"about"`
	Command     string      `json:"command"`
	Server      string      `json:"server"` // ip:port
	Seed        uint64      `json:"seed"`
	TLS         bool        `json:"tls"`
	KeyLogs     []string    `json:"keylogs,omitempty"`   // NSS key logs beside the capture
	DecodeAs    string      `json:"decode_as,omitempty"` // what tshark must be told (-d)
	Connections []ConnTruth `json:"connections"`
	Exchanges   []ExchTruth `json:"exchanges"`
}

// ConnTruth is one TCP connection.
type ConnTruth struct {
	Conn       int    `json:"conn"`
	ClientPort int    `json:"client_port"`
	Kind       string `json:"kind"` // h1, h2, h2c-upgrade, websocket, h1-upgrade-refused
	TLSVersion string `json:"tls_version,omitempty"`
	ALPN       string `json:"alpn,omitempty"`
	KeyLog     string `json:"keylog,omitempty"` // the key log holding this connection's secrets
	// The handshake's writes, each side's flights in order: the client's
	// ClientHello, then (TLS 1.3) its Finished or (TLS 1.2) ClientKeyExchange
	// + ChangeCipherSpec + Finished; the server's ServerHello ... Finished
	// (TLS 1.3: one flight) or ServerHello ... ServerHelloDone, then
	// ChangeCipherSpec + Finished (TLS 1.2). HandshakeDoneNS is when the
	// client's handshake returned.
	ClientFlightsNS []int64 `json:"client_flights_ns,omitempty"`
	ServerFlightsNS []int64 `json:"server_flights_ns,omitempty"`
	HandshakeDoneNS int64   `json:"handshake_done_ns,omitempty"`
	GoAwayServer    *Goaway `json:"goaway_server,omitempty"`
	GoAwayClient    *Goaway `json:"goaway_client,omitempty"`
}

// Goaway is a GOAWAY frame as written.
type Goaway struct {
	NS         int64  `json:"ns"`
	LastStream uint32 `json:"last_stream"`
	Code       string `json:"code"`
}

// Reset is a RST_STREAM as written.
type Reset struct {
	By   string `json:"by"` // client or server
	Code string `json:"code"`
	Num  uint32 `json:"code_num"`
	NS   int64  `json:"ns"`
}

// ExchTruth is one request and its answer: one HTTP/2 stream, or one
// HTTP/1.1 exchange (stream 0).
type ExchTruth struct {
	Conn       int    `json:"conn"`
	Proto      string `json:"proto"` // http/1.1 or h2
	Stream     uint32 `json:"stream"`
	Index      int    `json:"index"` // order of the request on its connection
	Method     string `json:"method"`
	Path       string `json:"path"`
	Authority  string `json:"authority"`
	Status     int    `json:"status"` // final status; 0: none
	Interim    []int  `json:"interim,omitempty"`
	GRPCStatus string `json:"grpc_status,omitempty"`
	Trailers   bool   `json:"trailers,omitempty"`
	PushedBy   uint32 `json:"pushed_by,omitempty"` // the stream whose PUSH_PROMISE announced this one
	Upgraded   bool   `json:"upgraded,omitempty"`  // stream 1 after Upgrade: h2c (the 101 is in interim)

	RequestNS  int64   `json:"request_ns"` // first byte of the request (client's write; PUSH_PROMISE for a push)
	InterimNS  []int64 `json:"interim_ns,omitempty"`
	ResponseNS int64   `json:"response_ns,omitempty"` // final status line, or first non-1xx HEADERS
	EndNS      int64   `json:"end_ns,omitempty"`      // END_STREAM (HTTP/1.1: last response write)
	TTFBNS     int64   `json:"ttfb_ns,omitempty"`     // response_ns - request_ns
	TTLBNS     int64   `json:"ttlb_ns,omitempty"`     // end_ns - request_ns
	Reset      *Reset  `json:"reset,omitempty"`
	Cut        string  `json:"cut,omitempty"` // capture_end: still open when the capture stopped

	DelayNS          int64 `json:"delay_ns"` // planned server delay before the final answer
	RespBytes        int   `json:"resp_body_bytes"`
	ReqBytes         int   `json:"req_body_bytes,omitempty"`
	ReqContinuation  bool  `json:"req_continuation,omitempty"`
	RespContinuation bool  `json:"resp_continuation,omitempty"`
	ReqSplit         bool  `json:"req_headers_split,omitempty"` // HEADERS frame over two writes
	EarlyAnswer      bool  `json:"early_answer,omitempty"`      // answered before the request body ended
}

// srvStream is the server's side of one stream, from its tap.
type srvStream struct {
	interim   []int
	interimNS []int64
	status    int
	respNS    int64
	endNS     int64
	frames    int // HEADERS + CONTINUATION of the final header block
	trailers  bool
	grpc      string
	rst       *Reset
	promise   *srvEvent
}

func serverStreams(events []srvEvent) (map[uint32]*srvStream, *Goaway) {
	out := map[uint32]*srvStream{}
	get := func(id uint32) *srvStream {
		if out[id] == nil {
			out[id] = &srvStream{}
		}
		return out[id]
	}
	var ga *Goaway
	for i := range events {
		ev := &events[i]
		if ev.H1 {
			continue
		}
		switch ev.Type {
		case http2.FrameGoAway:
			ga = &Goaway{NS: ev.NS, LastStream: ev.Last, Code: http2.ErrCode(ev.Code).String()}
			continue
		case http2.FramePushPromise:
			get(ev.Promised).promise = ev
			continue
		case http2.FrameRSTStream:
			get(ev.Stream).rst = &Reset{By: "server", Code: http2.ErrCode(ev.Code).String(), Num: ev.Code, NS: ev.NS}
			continue
		}
		if ev.Stream == 0 {
			continue
		}
		s := get(ev.Stream)
		if ev.Type == http2.FrameHeaders {
			switch {
			case ev.Status >= 100 && ev.Status < 200:
				s.interim, s.interimNS = append(s.interim, ev.Status), append(s.interimNS, ev.NS)
			case ev.Status != 0 && s.status == 0:
				s.status, s.respNS, s.frames = ev.Status, ev.NS, ev.Frames
			default:
				s.trailers = true
			}
			if g, ok := ev.Fields["grpc-status"]; ok {
				s.grpc = g
			}
		}
		if ev.Flags.Has(http2.FlagDataEndStream) && (ev.Type == http2.FrameHeaders || ev.Type == http2.FrameData) {
			s.endNS = ev.NS
		}
	}
	return out, ga
}

// h1Group is one HTTP/1.1 response as the server wrote it.
type h1Group struct {
	interim   []int
	interimNS []int64
	status    int
	ns, endNS int64
}

// h1Responses groups the server's HTTP/1.1 writes into responses: interim
// status lines, a final one (101 included), then the body's writes.
func h1Responses(events []srvEvent) []*h1Group {
	var out []*h1Group
	var cur *h1Group
	for _, ev := range events {
		if !ev.H1 {
			continue
		}
		if ev.Status == 0 {
			if cur != nil {
				cur.endNS = ev.NS
			}
			continue
		}
		if cur == nil || cur.status != 0 {
			cur = &h1Group{}
			out = append(out, cur)
		}
		if ev.Status < 200 && ev.Status != 101 {
			cur.interim, cur.interimNS = append(cur.interim, ev.Status), append(cur.interimNS, ev.NS)
			continue
		}
		cur.status, cur.ns, cur.endNS = ev.Status, ev.NS, ev.NS
	}
	return out
}

func (e *ExchTruth) derive() {
	if e.ResponseNS != 0 {
		e.TTFBNS = e.ResponseNS - e.RequestNS
	}
	if e.EndNS != 0 {
		e.TTLBNS = e.EndNS - e.RequestNS
	}
}

func fromSpec(e *ExchTruth, s *reqSpec) {
	e.Method, e.Path, e.DelayNS, e.RespBytes = s.Method, s.Path, s.Delay.Nanoseconds(), s.Size
	e.ReqContinuation, e.ReqSplit, e.EarlyAnswer = s.BigReqHeader, s.SplitHeaders, s.EarlyAnswer
	e.ReqBytes = len(requestBody(s))
}

func checkStatuses(what string, client []int, server []int) error {
	if fmt.Sprint(client) != fmt.Sprint(server) {
		return fmt.Errorf("%s: client saw statuses %v, server wrote %v", what, client, server)
	}
	return nil
}
