package tracesum

import (
	"fmt"
	"reflect"
	"sort"
	"testing"
)

// refConvs is the conversation table as it was kept before convTable: a
// map by the transport and endpoint strings, sorted whole.
func refConvs(frames []Frame, n int) ([]Conversation, int) {
	m := map[[3]string]*Conversation{}
	for _, f := range frames {
		a, b, tr := f.Src, f.Dst, f.Transport
		if tr != "" {
			a, b = endpoint(f.Src, f.SrcPort), endpoint(f.Dst, f.DstPort)
		} else {
			tr = f.Top
		}
		fwd := true
		if b < a {
			a, b, fwd = b, a, false
		}
		k := [3]string{tr, a, b}
		c := m[k]
		if c == nil {
			c = &Conversation{Transport: tr, A: a, B: b}
			m[k] = c
		}
		c.Packets++
		c.Bytes += int64(f.Len)
		if fwd {
			c.AtoB += int64(f.Len)
		} else {
			c.BtoA += int64(f.Len)
		}
	}
	var all []Conversation
	for _, c := range m {
		all = append(all, *c)
	}
	sort.Slice(all, func(i, j int) bool { return talkerLess(&all[i], &all[j]) })
	return all[:min(n, len(all))], len(m)
}

// convFrames mixes what the table must keep apart and together: both
// directions, a reused tuple, UDP against TCP on the same ports, IPv6,
// conversations without ports (ICMP, and a top protocol "tcp" without
// ports), an endpoint talking to itself, equal byte counts, and addresses
// whose numbering order differs from their strings' order.
func convFrames() []Frame {
	tcp := func(s, d string, sp, dp uint16, n int) Frame {
		return Frame{Src: s, Dst: d, SrcPort: sp, DstPort: dp, Transport: "tcp", Top: "http", Len: n}
	}
	fs := []Frame{
		tcp("10.0.0.9", "10.0.0.10", 40000, 80, 100),
		tcp("10.0.0.10", "10.0.0.9", 80, 40000, 1500),
		tcp("10.0.0.9", "10.0.0.10", 40000, 80, 60), // the same ports again
		tcp("10.0.0.10", "10.0.0.2", 9, 1000, 700),
		tcp("10.0.0.2", "10.0.0.10", 1000, 9, 700),
		tcp("10.0.0.10", "10.0.0.10", 5, 5, 77), // to itself
		tcp("2001:db8::1", "2001:db8::a", 443, 50000, 300),
		tcp("2001:db8::a", "2001:db8::1", 50000, 443, 1200),
		{Src: "10.0.0.9", Dst: "10.0.0.10", SrcPort: 40000, DstPort: 80, Transport: "udp", Top: "dns", Len: 90},
		{Src: "10.0.0.10", Dst: "10.0.0.9", Top: "icmp", Len: 98},
		{Src: "10.0.0.9", Dst: "10.0.0.10", Top: "icmp", Len: 98},
		{Src: "10.0.0.9", Dst: "10.0.0.10", Top: "tcp", Len: 54}, // no ports
		{Src: "fe80::1", Dst: "ff02::1", Top: "icmpv6", Len: 86},
	}
	for i := range 20 { // ties: equal bytes, told apart by their strings
		fs = append(fs, tcp("192.168.1.1", fmt.Sprint("192.168.1.", 200-i), uint16(1000+i), 22, 400))
	}
	return fs
}

func TestConvTableMatchesStrings(t *testing.T) {
	frames := convFrames()
	whole := newConvTable()
	for i := range frames {
		whole.add(&frames[i], whole.addrs.id(frames[i].Src))
	}
	// Two tables filled in other orders (so numbering their names
	// otherwise), merged.
	x, y := newConvTable(), newConvTable()
	for i := len(frames) - 1; i >= 0; i-- {
		tb := &x
		if i%3 == 0 {
			tb = &y
		}
		tb.add(&frames[i], tb.addrs.id(frames[i].Src))
	}
	y.merge(&x)
	for _, n := range []int{1, 3, 10, 25, 100} {
		want, count := refConvs(frames, n)
		for name, tb := range map[string]*convTable{"whole": &whole, "merged": &y} {
			if len(tb.m) != count {
				t.Errorf("%s: %d conversations, want %d", name, len(tb.m), count)
			}
			if got := tb.top(n); !reflect.DeepEqual(got, want) {
				t.Errorf("%s top %d:\n got %+v\nwant %+v", name, n, got, want)
			}
		}
	}
	if empty := newConvTable(); empty.top(10) != nil {
		t.Error("an empty table has a top")
	}
}
