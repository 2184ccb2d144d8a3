package httplat

import (
	"container/heap"
	"encoding/json"
	"io"
	"math"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
)

// record is one emitted exchange with the key that orders it as a single
// tshark run would emit it: the original frame being processed, or, for
// connections retired at the end, +Inf and the connection's tcp.stream.
type record struct {
	Frame  int64             `json:"f"`
	Stream int64             `json:"s"`
	Seq    int64             `json:"q"`
	Mode   http1.Pairing     `json:"m"`
	Ex     exchange.Exchange `json:"e"`
}

type head struct {
	rec record
	dec *json.Decoder
}

type recHeap []*head

func (h recHeap) Len() int { return len(h) }
func (h recHeap) Less(i, j int) bool {
	a, b := h[i].rec, h[j].rec
	if a.Frame != b.Frame {
		return a.Frame < b.Frame
	}
	if a.Frame == math.MaxInt64 && a.Stream != b.Stream {
		return a.Stream < b.Stream
	}
	return a.Seq < b.Seq
}
func (h recHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *recHeap) Push(x any)   { *h = append(*h, x.(*head)) }
func (h *recHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// merge emits the shards' spilled exchanges to the file in single-run
// order; each spill is in that order already.
func (s *splitRun) merge() error {
	h := &recHeap{}
	for _, r := range s.runs {
		if r.spill == nil {
			continue
		}
		dec, err := r.spill.reader()
		if err != nil {
			return err
		}
		var rec record
		if err := dec.Decode(&rec); err == nil {
			heap.Push(h, &head{rec, dec})
		} else if err != io.EOF {
			return err
		}
	}
	for h.Len() > 0 {
		top := (*h)[0]
		ex := top.rec.Ex
		if err := s.f.emit(top.rec.Mode, &ex); err != nil {
			return err
		}
		var next record
		if err := top.dec.Decode(&next); err == io.EOF {
			heap.Pop(h)
		} else if err != nil {
			return err
		} else {
			top.rec = next
			heap.Fix(h, 0)
		}
	}
	return nil
}
