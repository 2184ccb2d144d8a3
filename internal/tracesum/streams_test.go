package tracesum

import (
	"reflect"
	"slices"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/handshake"
	"github.com/pcapmeter/pcapmeter/parse"
)

// TestStreamTableMatchesTrackers checks the table against a tracker per
// stream kept to the end: the same streams counted and the same RTTs,
// with trackers reused after their handshakes complete, segments after
// the handshake, a resent SYN, a handshake that never completes, a
// stream seen only mid-connection and a stream number far past the rest.
func TestStreamTableMatchesTrackers(t *testing.T) {
	const syn, synAck, ack = parse.FlagSYN, parse.FlagSYN | parse.FlagACK, parse.FlagACK
	type seg struct {
		stream int64
		client bool
		flags  uint16
		ms     int64
	}
	segs := []seg{
		{0, true, syn, 0}, {1, true, syn, 1}, {0, false, synAck, 10}, {0, true, ack, 12},
		{0, false, ack, 13}, {0, true, syn | ack, 14}, // after the handshake: nothing
		{2, false, ack, 15}, // mid-connection
		{1, true, syn, 1001}, {1, false, synAck, 1030}, {3, true, syn, 1031},
		{1, true, ack, 1040}, {3, false, synAck, 1050}, {1_000_000, true, syn, 1051},
		{1_000_000, false, synAck, 1060}, {1_000_000, true, ack, 1062}, {3, true, ack, 1070},
		{4, true, syn, 1080}, // never answered
	}
	var tb streamTable
	ref := map[int64]*handshake.Tracker{}
	first := map[int64]bool{} // whether the client sent a stream's first segment
	for _, s := range segs {
		f := Frame{Src: "10.0.0.1", SrcPort: 40000, Flags: s.flags, Time: parse.Time(s.ms * 1e6)}
		src := uint32(1)
		if !s.client {
			f.Src, f.SrcPort, src = "10.0.0.2", 80, 2
		}
		if ref[s.stream] == nil {
			h := handshake.New()
			ref[s.stream], first[s.stream] = &h, s.client
		}
		d := 0
		if s.client != first[s.stream] {
			d = 1
		}
		ref[s.stream].Add(d, f.Flags, f.Time)
		tb.add(s.stream, src, &f)
	}
	var want []float64
	for _, h := range ref {
		if r := h.Result(); r.Complete {
			want = append(want, r.RTT)
		}
	}
	got := slices.Clone(tb.rtts)
	slices.Sort(got)
	slices.Sort(want)
	if tb.seen != len(ref) || !reflect.DeepEqual(got, want) {
		t.Errorf("%d streams, RTTs %v; want %d, %v", tb.seen, got, len(ref), want)
	}
	if len(tb.active) > 3 {
		t.Errorf("%d trackers for at most 3 handshakes unfolding at once", len(tb.active))
	}
}
