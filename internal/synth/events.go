package synth

import (
	"fmt"
	"strconv"
	"strings"
)

// EventKind names an impairment of one exchange or one handshake.
type EventKind string

// The impairments. "Dropped" means the capture missed the bytes although
// they reached their receiver (a tcpdump or mirror drop): nothing is ever
// retransmitted, the receiver acknowledges them as usual. "Lost" means the
// network lost them before the capture point: the sender retransmits after
// an RTO and the capture sees only the copy, which fills the hole.
const (
	// RespDrop drops a whole response from the capture.
	RespDrop EventKind = "resp-drop"
	// RespSegDrop drops segments Seg..Seg+N-1 of a response from the
	// capture (Seg 0 holds the status line and headers).
	RespSegDrop EventKind = "resp-seg-drop"
	// RespSegLost loses segments Seg..Seg+N-1 of a response before the
	// capture point; each is retransmitted an RTO later.
	RespSegLost EventKind = "resp-seg-lost"
	// ReqDrop drops a whole request from the capture (the server still
	// gets and answers it).
	ReqDrop EventKind = "req-drop"
	// ReqSegDrop drops segments Seg..Seg+N-1 of a request (which needs
	// Config.ReqPad to span several segments).
	ReqSegDrop EventKind = "req-seg-drop"
	// Reset makes the server reset the connection instead of answering;
	// the client sends nothing more on it.
	Reset EventKind = "reset"
	// SYNLost loses the connection's first N SYNs (Index is ignored).
	SYNLost EventKind = "syn-lost"
	// SYNACKLost loses the first N SYN/ACKs of the connection.
	SYNACKLost EventKind = "synack-lost"
)

var eventKinds = []EventKind{RespDrop, RespSegDrop, RespSegLost, ReqDrop, ReqSegDrop, Reset, SYNLost, SYNACKLost}

// Event is one scripted impairment: of exchange Index on connection Conn,
// or of the connection's handshake. Seg counts from 0; -1 is the last
// segment. N is how many segments (or SYNs, SYN/ACKs), at least 1.
type Event struct {
	Kind  EventKind `json:"kind"`
	Conn  int       `json:"conn"`
	Index int       `json:"index,omitempty"`
	Seg   int       `json:"seg,omitempty"`
	N     int       `json:"n,omitempty"`
}

func (e Event) count() int { return max(1, e.N) }

// segs returns the segment indexes of a message of n segments the event
// covers.
func (e Event) segs(n int) []int {
	s := e.Seg
	if s < 0 {
		s += n
	}
	var out []int
	for i := max(0, s); i < min(n, s+e.count()); i++ {
		out = append(out, i)
	}
	return out
}

// String renders e in the syntax ParseEvent reads.
func (e Event) String() string {
	switch e.Kind {
	case SYNLost, SYNACKLost:
		return fmt.Sprintf("%s:%d:%d", e.Kind, e.Conn, e.count())
	case RespDrop, ReqDrop, Reset:
		return fmt.Sprintf("%s:%d:%d", e.Kind, e.Conn, e.Index)
	}
	return fmt.Sprintf("%s:%d:%d:%d:%d", e.Kind, e.Conn, e.Index, e.Seg, e.count())
}

// ParseEvent reads KIND:CONN:INDEX[:SEG[:N]] (for syn-lost and
// synack-lost: KIND:CONN:N), e.g. "resp-seg-drop:0:3:2:1" drops the third
// segment of the response to exchange 3 on connection 0.
func ParseEvent(s string) (Event, error) {
	parts := strings.Split(s, ":")
	var e Event
	if len(parts) < 3 || len(parts) > 5 {
		return e, fmt.Errorf("event %q: want KIND:CONN:INDEX[:SEG[:N]]", s)
	}
	e.Kind = EventKind(parts[0])
	known := false
	for _, k := range eventKinds {
		known = known || k == e.Kind
	}
	if !known {
		return e, fmt.Errorf("event %q: unknown kind %q", s, parts[0])
	}
	nums := make([]int, len(parts)-1)
	for i, p := range parts[1:] {
		n, err := strconv.Atoi(p)
		if err != nil || n < -1000 || n > 1_000_000 || (i < 2 && n < 0) {
			return e, fmt.Errorf("event %q: bad number %q", s, p)
		}
		nums[i] = n
	}
	e.Conn = nums[0]
	if e.Kind == SYNLost || e.Kind == SYNACKLost {
		if len(nums) != 2 || nums[1] < 1 || nums[1] > 8 {
			return e, fmt.Errorf("event %q: want %s:CONN:N with 1 <= N <= 8", s, e.Kind)
		}
		e.N = nums[1]
		return e, nil
	}
	e.Index = nums[1]
	if len(nums) > 2 {
		e.Seg = nums[2]
	}
	if len(nums) > 3 {
		if nums[3] < 1 {
			return e, fmt.Errorf("event %q: N must be at least 1", s)
		}
		e.N = nums[3]
	}
	return e, nil
}

// eventIndex finds the events of an exchange and of a handshake.
type eventIndex struct {
	ex map[[2]int][]Event
	hs map[int][]Event
}

func indexEvents(evs []Event) eventIndex {
	ix := eventIndex{ex: map[[2]int][]Event{}, hs: map[int][]Event{}}
	for _, e := range evs {
		if e.Kind == SYNLost || e.Kind == SYNACKLost {
			ix.hs[e.Conn] = append(ix.hs[e.Conn], e)
			continue
		}
		k := [2]int{e.Conn, e.Index}
		ix.ex[k] = append(ix.ex[k], e)
	}
	return ix
}

// of returns the events of kind k on exchange (conn, index).
func (ix eventIndex) of(conn, index int, k EventKind) []Event {
	var out []Event
	for _, e := range ix.ex[[2]int{conn, index}] {
		if e.Kind == k {
			out = append(out, e)
		}
	}
	return out
}

// handshake returns how many SYNs and SYN/ACKs connection conn loses.
func (ix eventIndex) handshake(conn int) (syn, synack int) {
	for _, e := range ix.hs[conn] {
		if e.Kind == SYNLost {
			syn += e.count()
		} else {
			synack += e.count()
		}
	}
	return
}
