package http2

import "github.com/pcapmeter/pcapmeter/internal/exchange"

// Checker is --crosscheck for HTTP/2. tshark 4.0 links no HTTP/2 request
// to its response (it has no http2.request_in or http2.response_in), so
// the check is against tshark's per-frame view of each stream, read
// without the Pairer's model of the connection: the final status is the
// first ":status" of 200 or more that tshark decoded on the stream, in any
// header block from either side. A stream the Pairer answered otherwise
// (direction, interim responses, trailers, CONTINUATION) disagrees.
type Checker struct {
	status map[streamKey]int
	// Streams, Agree and Disagree count the exchanges checked.
	Streams, Agree, Disagree int
	// First are the first disagreements (at most MaxFirst), with the
	// status tshark's view gives in Naive.
	First []CheckDisagreement
}

// CheckDisagreement is one stream whose status differs.
type CheckDisagreement struct {
	Ex    exchange.Exchange
	Naive int
}

// MaxFirst bounds Checker.First.
const MaxFirst = 20

type streamKey struct {
	conn int64
	id   uint32
}

// NewChecker returns an empty checker.
func NewChecker() *Checker { return &Checker{status: map[streamKey]int{}} }

// Add notes a packet's statuses; call it before the Pairer's Add, so a
// stream ended in the same packet is known when it is reported.
func (c *Checker) Add(pk *Packet) {
	for _, f := range pk.Frames {
		if f.StreamID == 0 {
			continue
		}
		k := streamKey{pk.Conn, f.StreamID}
		if _, done := c.status[k]; done {
			continue
		}
		if code, ok := status(f.Headers); ok && code >= 200 {
			c.status[k] = code
		}
	}
}

// Check compares one reported exchange (in the same numbering as the
// packets) and forgets its stream.
func (c *Checker) Check(e *exchange.Exchange) {
	k := streamKey{e.Stream, e.StreamID}
	naive := c.status[k]
	delete(c.status, k)
	c.Streams++
	if naive == e.Status {
		c.Agree++
		return
	}
	c.Disagree++
	if len(c.First) < MaxFirst {
		c.First = append(c.First, CheckDisagreement{Ex: *e, Naive: naive})
	}
}

// Merge adds another checker's counts (a shard's).
func (c *Checker) Merge(o *Checker) {
	c.Streams += o.Streams
	c.Agree += o.Agree
	c.Disagree += o.Disagree
	for _, d := range o.First {
		if len(c.First) < MaxFirst {
			c.First = append(c.First, d)
		}
	}
}
