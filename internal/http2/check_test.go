package http2

import (
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
)

// TestChecker: a stream whose reported status is not the first final
// status tshark decoded on it (an interim 103 taken for the answer, or an
// answer where tshark saw none) disagrees; trailers and later header
// blocks do not change tshark's side.
func TestChecker(t *testing.T) {
	hdr := func(id uint32, status string) Frame {
		return Frame{StreamID: id, Type: TypeHeaders, Headers: []Header{{Name: ":status", Value: status, Known: true}}}
	}
	ck := NewChecker()
	ck.Add(&Packet{Conn: 3, Frames: []Frame{hdr(1, "103"), hdr(1, "200"), hdr(3, "404")}})
	ck.Add(&Packet{Conn: 3, Frames: []Frame{hdr(1, "500"), {StreamID: 0, Type: "SETTINGS"}}})
	tests := []struct {
		sid    uint32
		status int
		agree  bool
	}{
		{1, 200, true},
		{3, 103, false},
		{5, 200, false}, // tshark saw no status on stream 5
	}
	for _, tc := range tests {
		before := ck.Agree
		ck.Check(&exchange.Exchange{Stream: 3, StreamID: tc.sid, Status: tc.status})
		if got := ck.Agree > before; got != tc.agree {
			t.Errorf("stream %d status %d: agree %v, want %v", tc.sid, tc.status, got, tc.agree)
		}
	}
	if ck.Streams != 3 || ck.Disagree != 2 || len(ck.First) != 2 || ck.First[0].Naive != 404 {
		t.Errorf("checker %+v", ck)
	}
}
