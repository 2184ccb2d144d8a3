package synth

import (
	"strings"
	"testing"
)

func TestParseEvent(t *testing.T) {
	for _, c := range []struct {
		in   string
		want Event
		err  string
	}{
		{"resp-seg-drop:0:3:2:1", Event{Kind: RespSegDrop, Conn: 0, Index: 3, Seg: 2, N: 1}, ""},
		{"resp-seg-drop:1:2:-1", Event{Kind: RespSegDrop, Conn: 1, Index: 2, Seg: -1}, ""},
		{"req-drop:2:5", Event{Kind: ReqDrop, Conn: 2, Index: 5}, ""},
		{"syn-lost:4:2", Event{Kind: SYNLost, Conn: 4, N: 2}, ""},
		{"syn-lost:4:0", Event{}, "1 <= N <= 8"},
		{"synack-lost:4:1:1", Event{}, "want synack-lost"},
		{"resp-drop:-1:2", Event{}, "bad number"},
		{"resp-drop:x:2", Event{}, "bad number"},
		{"teleport:0:1", Event{}, "unknown kind"},
		{"resp-drop:0", Event{}, "want KIND"},
		{"resp-seg-drop:0:1:1:0", Event{}, "at least 1"},
	} {
		got, err := ParseEvent(c.in)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: error %v, want %q", c.in, err, c.err)
			}
			continue
		}
		if err != nil || got != c.want {
			t.Errorf("%q: %+v, %v; want %+v", c.in, got, err, c.want)
		}
		if back, err := ParseEvent(got.String()); err != nil || back.String() != got.String() {
			t.Errorf("%q: String %q does not read back (%+v, %v)", c.in, got.String(), back, err)
		}
	}
}

func TestEventSegs(t *testing.T) {
	for _, c := range []struct {
		e    Event
		n    int
		want []int
	}{
		{Event{Seg: 1, N: 2}, 4, []int{1, 2}},
		{Event{Seg: -1}, 4, []int{3}},
		{Event{Seg: 3, N: 5}, 4, []int{3}},
		{Event{Seg: 7}, 4, nil},
		{Event{Seg: -9, N: 1}, 4, nil},
	} {
		got := c.e.segs(c.n)
		if len(got) != len(c.want) {
			t.Errorf("%+v of %d: %v, want %v", c.e, c.n, got, c.want)
			continue
		}
		for i := range got {
			if got[i] != c.want[i] {
				t.Errorf("%+v of %d: %v, want %v", c.e, c.n, got, c.want)
			}
		}
	}
}

// FuzzParseEvent: any text gives an event or an error, never a panic, and
// an accepted event reads back from its own rendering.
func FuzzParseEvent(f *testing.F) {
	for _, s := range []string{"resp-seg-drop:0:3:2:1", "syn-lost:1:2", "req-drop:0:0", "reset:1:4:", "::::"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		e, err := ParseEvent(s)
		if err != nil {
			return
		}
		back, err := ParseEvent(e.String())
		if err != nil || back.String() != e.String() {
			t.Fatalf("%q -> %+v -> %q -> %+v, %v", s, e, e.String(), back, err)
		}
	})
}
