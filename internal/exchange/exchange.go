// Package exchange is the protocol-independent vocabulary of an HTTP
// exchange: a request with its response, or one of them alone, with the
// byte times every latency definition is taken from. Each HTTP version's
// pairing (internal/http1 for HTTP/1.x's FIFO per connection; HTTP/2's
// streams next) produces these, and everything downstream (aggregation,
// cross-checks, the per-exchange CSV and JSON Lines) consumes only these,
// so a new protocol is a new producer and nothing else.
package exchange

import (
	"net/netip"

	"github.com/pcapmeter/pcapmeter/parse"
)

// Kind says how an exchange ended.
type Kind string

// The kinds of exchange.
const (
	Matched   Kind = "matched"   // request and final response
	Unmatched Kind = "unmatched" // request whose response never came
	Orphan    Kind = "orphan"    // response with no request (capture began mid-connection)
)

// MsgRef identifies an HTTP message: the frame tshark reports it on and its
// position among the messages reported in that frame (0 unless pipelined
// messages share a segment).
type MsgRef struct {
	Frame int64 `json:"frame"`
	Index int   `json:"index"`
}

// The protocols an exchange is carried in.
const (
	HTTP1 = "http/1.1"
	H2    = "h2"
)

// Exchange is one request with its response, or one of them alone.
type Exchange struct {
	Kind Kind
	// Protocol is HTTP1 or H2.
	Protocol string
	Stream   int64
	Client   netip.AddrPort
	Server   netip.AddrPort
	Method   string
	URI      string
	Host     string
	Status   int // final status code, 0 when there is no response
	// Interim counts 1xx responses (100 Continue, 103 Early Hints) that
	// came before the final one.
	Interim int

	Req, Resp MsgRef
	// First and last frame of each message: the frame holding its first
	// byte and the frame completing it.
	ReqFirstFrame, RespFirstFrame int64
	ReqFirst, ReqLast             parse.Time
	RespFirst, RespLast           parse.Time
	// Estimated is set when a message's first or last byte time is an
	// upper bound rather than exact: its first segment had left the
	// bounded segment buffer, or it completed together with others when a
	// retransmission filled a hole before them (where each began, and
	// when its own last byte arrived, are not in tshark's fields).
	Estimated bool
	// ResponseLost marks an unmatched request whose response was in bytes
	// the capture did not hold (a gap before a later response).
	ResponseLost bool
	// ResponseIncomplete marks an unmatched request whose response had
	// begun (RespFirstFrame, RespFirst are set) but never completed in the
	// capture.
	ResponseIncomplete bool
	// StreamID is the HTTP/2 stream (0 for HTTP/1).
	StreamID uint32
	// Unanswered says why an unmatched request has no complete response:
	// "reset" (RST_STREAM, or for HTTP/1 a TCP reset), "goaway" (the
	// HTTP/2 connection was shut down past it), "closed" (HTTP/1: both
	// sides closed the connection with no answer), "capture_end" (not
	// sent before the capture ended) or "response_lost" (sent, in bytes
	// the capture lacks).
	Unanswered string
	// Reset is "client CODE" or "server CODE" when the stream was reset
	// (also after a complete response: an early answer's NO_ERROR).
	Reset string
	// GRPCStatus is the grpc-status the server sent ("" when none).
	GRPCStatus string
	// Reconstructed marks an exchange placed by sequence numbers on a
	// connection the capture never fully holds (a gap no retransmission
	// fills): its messages were located segment by segment, not from
	// tshark's reassembled messages.
	Reconstructed bool
	// RespLastUnknown: some bytes of the response are missing from the
	// capture, so when its last byte arrived is unknown (RespLast is then
	// the last captured frame of it, a lower bound); TTLB is undefined.
	RespLastUnknown bool
	// ReqLastUnknown: likewise for the request; server time is undefined.
	ReqLastUnknown bool
	// ReqBody and RespBody are the body sizes the messages' Content-Length
	// headers declare: unknown without the header (chunked or
	// close-delimited bodies, HTTP/2 without content-length), and for a
	// HEAD or 304 response the size of the body it stands for, not of one
	// sent.
	ReqBody, RespBody Size
	// ReqWire and RespWire are the messages' bytes on the wire (start
	// line, headers and body as TCP payload, HTTP/1 only), from sequence
	// numbers: unknown when several messages complete in one frame or the
	// first byte's segment is not exactly known (see Estimated).
	ReqWire, RespWire Size
	// Ambiguous, when set, says why the capture cannot decide this
	// exchange's pairing in principle (http1.AmbiguousPipelined: a
	// pipelined batch with gaps the sequence and acknowledgement numbers
	// do not place): the pairing, verdict or reason is FIFO's guess.
	Ambiguous string
}

// Size is a byte count that may be unknown (the zero value): "no header"
// and "zero bytes" stay different things.
type Size struct {
	N     int64
	Known bool
}

// Bytes returns a known size of n bytes.
func Bytes(n int64) Size { return Size{N: n, Known: true} }

// TTFB is request first byte → response first byte, in seconds.
func (e *Exchange) TTFB() float64 { return e.RespFirst.Sub(e.ReqFirst) }

// TTLB is request first byte → response last byte, in seconds.
func (e *Exchange) TTLB() float64 { return e.RespLast.Sub(e.ReqFirst) }

// ServerTime is request last byte → response first byte, in seconds. It is
// negative when the server started answering before the request was
// complete (an early error on an upload).
func (e *Exchange) ServerTime() float64 { return e.RespFirst.Sub(e.ReqLast) }

// Sink receives every exchange as soon as it is complete. Returning an
// error stops the run.
type Sink func(*Exchange) error
