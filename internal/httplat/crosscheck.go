package httplat

import (
	"sort"
	"sync"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
)

// Disagreement is one request the two pairings match differently.
type Disagreement struct {
	File        string
	Request     exchange.MsgRef
	Tuple       exchange.MsgRef // zero Frame: no response
	Tshark      exchange.MsgRef
	TupleStatus int
}

// Crosscheck compares tuple pairing with tshark's links.
type Crosscheck struct {
	Requests      int            `json:"requests"`
	Agree         int            `json:"agree"`
	Disagree      int            `json:"disagree"`
	Disagreements []Disagreement `json:"first_disagreements"`
	// HTTP2 is there when the HTTP/2 pass ran (h2check.go).
	HTTP2 *H2Check `json:"http2,omitempty"`
}

// MaxDisagreements bounds how many disagreements are listed.
const MaxDisagreements = 20

type key struct {
	file string
	req  exchange.MsgRef
}

// crossState gathers, per request, the response each pairing gave it;
// files and shards add to it concurrently, hence the lock.
type crossState struct {
	mu            sync.Mutex
	tuple, tshark map[key]exchange.MsgRef
	status        map[key]int
	h2            *H2Check
}

func newCrossState() *crossState {
	return &crossState{tuple: map[key]exchange.MsgRef{}, tshark: map[key]exchange.MsgRef{}, status: map[key]int{}}
}

func (c *crossState) add(file string, mode http1.Pairing, e *exchange.Exchange) {
	if e.Kind == exchange.Orphan {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	k := key{file, e.Req}
	var resp exchange.MsgRef
	if e.Kind == exchange.Matched {
		resp = e.Resp
	}
	if mode == http1.PairTuple {
		c.tuple[k] = resp
		c.status[k] = e.Status
	} else {
		c.tshark[k] = resp
	}
}

func (c *crossState) result() *Crosscheck {
	out := &Crosscheck{Requests: len(c.tuple), HTTP2: c.h2}
	keys := make([]key, 0, len(c.tuple))
	for k := range c.tuple {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].file != keys[j].file {
			return keys[i].file < keys[j].file
		}
		if keys[i].req.Frame != keys[j].req.Frame {
			return keys[i].req.Frame < keys[j].req.Frame
		}
		return keys[i].req.Index < keys[j].req.Index
	})
	for _, k := range keys {
		tu, ts := c.tuple[k], c.tshark[k]
		if tu == ts {
			out.Agree++
			continue
		}
		out.Disagree++
		if len(out.Disagreements) < MaxDisagreements {
			out.Disagreements = append(out.Disagreements, Disagreement{File: k.file, Request: k.req, Tuple: tu, Tshark: ts, TupleStatus: c.status[k]})
		}
	}
	return out
}
