package httplat

import (
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http2"
)

// H2Check is --crosscheck on HTTP/2: each stream's final status as the
// pairer reported it against tshark's own per-stream view
// (http2.Checker says why that is the independent side in tshark 4.0).
type H2Check struct {
	Streams       int              `json:"streams"`
	Agree         int              `json:"agree"`
	Disagree      int              `json:"disagree"`
	Disagreements []H2Disagreement `json:"first_disagreements"`
}

// H2Disagreement is one stream whose status differs.
type H2Disagreement struct {
	File         string          `json:"file"`
	Conn         int64           `json:"tcp_stream"`
	StreamID     uint32          `json:"stream_id"`
	Request      exchange.MsgRef `json:"request"`
	Status       int             `json:"status"`
	TsharkStatus int             `json:"tshark_status"`
}

// checkedSink wraps an HTTP/2 sink so that ck sees every exchange first;
// ck nil leaves sink as it is.
func checkedSink(ck *http2.Checker, sink func(*exchange.Exchange) error) func(*exchange.Exchange) error {
	if ck == nil {
		return sink
	}
	return func(e *exchange.Exchange) error {
		ck.Check(e)
		return sink(e)
	}
}

// newChecker is a checker when --crosscheck asks for one.
func (f *fileRun) newChecker() *http2.Checker {
	if f.cc == nil {
		return nil
	}
	return http2.NewChecker()
}

// addH2Check adds one file's (or shard's) HTTP/2 check.
func (c *crossState) addH2Check(file string, ck *http2.Checker) {
	if ck == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.h2 == nil {
		c.h2 = &H2Check{}
	}
	c.h2.Streams += ck.Streams
	c.h2.Agree += ck.Agree
	c.h2.Disagree += ck.Disagree
	for _, d := range ck.First {
		if len(c.h2.Disagreements) < MaxDisagreements {
			c.h2.Disagreements = append(c.h2.Disagreements, H2Disagreement{File: file, Conn: d.Ex.Stream,
				StreamID: d.Ex.StreamID, Request: d.Ex.Req, Status: d.Ex.Status, TsharkStatus: d.Naive})
		}
	}
}
