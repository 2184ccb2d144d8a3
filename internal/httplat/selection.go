package httplat

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Selection narrows a measurement to some exchanges. It selects whole
// exchanges, never packets: every packet pairing needs is still dissected,
// so a selected request keeps its response and its latency, and an
// exchange left out is out of the report altogether (not unanswered).
//
// An exchange is judged by its request (an orphan response, having none,
// by itself): the request's frame must match Filter, its first byte must
// fall in [From, To), and it must come from Client.
type Selection struct {
	// Filter is a tshark display filter the frame carrying the request
	// (reassembled: the frame that completes it) must match.
	Filter string `json:"filter,omitempty"`
	// From and To bound the request's first byte, From inclusive and To
	// exclusive; nil leaves that side open.
	From *parse.Time `json:"-"`
	To   *parse.Time `json:"-"`
	// Client is the client address; the zero value means any.
	Client netip.Addr `json:"-"`
}

// Active reports whether s selects anything less than everything.
func (s *Selection) Active() bool {
	return s.Filter != "" || s.From != nil || s.To != nil || s.Client.IsValid()
}

// SelectionResult is the selection a result covers and how many
// exchanges it left out.
type SelectionResult struct {
	Selection
	// Excluded counts the exchanges (of the selected pairing, HTTP/1 and
	// HTTP/2, orphans included) the selection left out.
	Excluded int `json:"excluded_exchanges"`
}

// ParseCaptureTime reads a --from or --to value: RFC 3339 (with an
// optional fraction of a second and a zone, e.g. 2023-11-14T22:13:20.5Z)
// or seconds since the Unix epoch (1700000000.5), both exact to the
// nanosecond.
func ParseCaptureTime(s string) (parse.Time, error) {
	if t, err := parse.ParseTime(s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return 0, fmt.Errorf("bad time %q: give RFC 3339 (2023-11-14T22:13:20Z) or seconds since the epoch (1700000000.5)", s)
	}
	if y := t.Year(); y < 1678 || y > 2261 {
		// Outside what nanoseconds in an int64 hold.
		return 0, fmt.Errorf("bad time %q: year %d is out of range", s, y)
	}
	return parse.Time(t.UnixNano()), nil
}

// FilterError is a --filter tshark rejects; Msg is tshark's complaint in
// one line. It is the user's request to change, not a failure.
type FilterError struct{ Filter, Msg string }

func (e *FilterError) Error() string {
	return fmt.Sprintf("tshark rejected --filter %q: %s", e.Filter, e.Msg)
}

// emptyPcap is a pcap file header with no packet: tshark compiles a
// display filter before reading, so this checks a filter in one start.
var emptyPcap = []byte{0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0}

type frameRow struct {
	Frame string `csv:"frame.number"`
}

func frameNumber(r *frameRow) (int64, error) {
	return strconv.ParseInt(r.Frame, 10, 64)
}

// checkFilter has tshark compile the filter on its own, before anything
// is dissected (status 2 is its refusal of a filter): its own message is
// the clearest, and a filter that does not stand alone (`a) || (b`) could
// otherwise change the meaning of the clause it is put in.
func checkFilter(ctx context.Context, bin, filter string) error {
	spec := tshark.Spec{Input: "-", Stdin: bytes.NewReader(emptyPcap), Fields: []string{"frame.number"},
		Mode: tshark.Fields, DisplayFilter: filter}
	_, err := dissect.Run(ctx, bin, spec, frameNumber, func(*int64) error { return nil })
	var ee *tshark.ExitError
	if err != nil && ctx.Err() == nil && errors.As(err, &ee) && ee.Signal == "" && ee.Code == 2 {
		return &FilterError{Filter: filter, Msg: filterComplaint(ee.Stderr, filter)}
	}
	return err
}

// filterComplaint is tshark's complaint about filter in one line.
func filterComplaint(stderr, filter string) string {
	if msg := dissect.Complaint(stderr, filter); msg != "" {
		return msg
	}
	return "no message"
}

// payloadFilter picks the frames an exchange can be judged by: every
// segment with payload, since the request of a connection tshark's HTTP
// dissector lost track of (after a capture gap) is in segments it no
// longer reports as HTTP, though pcapmeter pairs it.
const payloadFilter = "tcp.len > 0"

// frameSet is a set of frame numbers, a bit each: an eighth of a byte per
// packet of the capture at most.
type frameSet []uint64

func (s *frameSet) add(n int64) {
	if n <= 0 {
		return
	}
	for int64(len(*s))*64 <= n {
		*s = append(*s, 0)
	}
	(*s)[n/64] |= 1 << (n % 64)
}

func (s frameSet) has(n int64) bool {
	return n > 0 && n/64 < int64(len(s)) && s[n/64]&(1<<(n%64)) != 0
}

// selector is one file's selection: the frames the filter matched (nil
// without a filter) and how many exchanges it left out.
type selector struct {
	sel      *Selection // nil: everything is selected
	frames   *frameSet
	excluded atomic.Int64
}

// newSelector makes f's selector, running the filter's pass over the
// file first when there is a filter. That pass runs with the same
// preferences as pass 1, so it reports each request on the frame pass 1
// does.
func (f *fileRun) newSelector(ctx context.Context) (*selector, error) {
	if !f.opt.Select.Active() {
		return &selector{}, nil
	}
	s := &selector{sel: &f.opt.Select}
	if s.sel.Filter == "" {
		return s, nil
	}
	spec := httpSpec(f.file, &f.opt, true, nil)
	spec.Fields = []string{"frame.number"}
	spec.DisplayFilter = "(" + payloadFilter + ") && (" + s.sel.Filter + ")"
	s.frames = &frameSet{}
	_, err := dissect.Run(ctx, f.bin, spec, frameNumber, func(n *int64) error {
		s.frames.add(*n)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("selecting by --filter: %w", err)
	}
	return s, nil
}

// fork is a selector with s's frames and a count of its own, for a run
// whose exclusions count only if it succeeds (a split's scratch).
func (s *selector) fork() *selector {
	return &selector{sel: s.sel, frames: s.frames}
}

// keep reports whether e is selected, counting it as excluded when not
// and count is set.
func (s *selector) keep(e *exchange.Exchange, count bool) bool {
	if s == nil || s.sel == nil || s.selects(e) {
		return true
	}
	if count {
		s.excluded.Add(1)
	}
	return false
}

func (s *selector) selects(e *exchange.Exchange) bool {
	sel := s.sel
	if sel.Client.IsValid() && e.Client.Addr().Unmap() != sel.Client.Unmap() {
		return false
	}
	at := e.ReqFirst
	if e.Kind == exchange.Orphan {
		at = e.RespFirst
	}
	if (sel.From != nil && at < *sel.From) || (sel.To != nil && at >= *sel.To) {
		return false
	}
	if s.frames == nil {
		return true
	}
	if e.Kind == exchange.Orphan {
		return s.matched(e.Resp.Frame, e.RespFirstFrame, e.Protocol == exchange.H2 || e.Reconstructed)
	}
	return s.matched(e.Req.Frame, e.ReqFirstFrame, e.Protocol == exchange.H2 || e.Reconstructed)
}

// matched reports whether the filter matched the message's frame. The
// first frame counts too where the message's frame may differ from the
// filter pass's: HTTP/2 (its pass reassembles differently) and an
// exchange placed segment by segment (reconstructed).
func (s *selector) matched(frame, first int64, orFirst bool) bool {
	return s.frames.has(frame) || (orFirst && s.frames.has(first))
}
