package http2

import (
	"fmt"
	"strconv"
	"strings"
)

// list splits a comma-joined column ("" is no value).
func list(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// frames zips the per-frame columns and hands each frame its share of the
// per-occurrence ones.
func (p *Packet) frames(r *Row) error {
	ids, types, flags := list(r.StreamIDs), list(r.Types), list(r.Flags)
	if len(ids) != len(types) || len(ids) != len(flags) {
		return fmt.Errorf("http2: %d stream ids, %d types, %d flags", len(ids), len(types), len(flags))
	}
	if len(ids) == 0 {
		return nil
	}
	hdrs, err := newHeaderCursor(r)
	if err != nil {
		return err
	}
	rst, promised, goaway := list(r.RSTErrors), list(r.Promised), list(r.GoAwayLast)
	p.Frames = make([]Frame, len(ids))
	for i := range ids {
		f := &p.Frames[i]
		id, err := strconv.ParseUint(ids[i], 10, 31)
		if err != nil {
			return fmt.Errorf("http2.streamid %q", ids[i])
		}
		fl, err := strconv.ParseUint(strings.TrimPrefix(flags[i], "0x"), 16, 8)
		if err != nil {
			return fmt.Errorf("http2.flags %q", flags[i])
		}
		f.StreamID, f.Type, f.Flags = uint32(id), types[i], uint8(fl)
		switch f.Type {
		case TypeHeaders, TypePushPromise, TypeContinuation:
			if f.Headers, f.ValuesKnown, err = hdrs.next(); err != nil {
				return err
			}
		}
		switch f.Type {
		case TypeRSTStream:
			f.RSTError, rst = pop(rst)
		case TypePushPromise:
			var s string
			s, promised = pop(promised)
			f.Promised = parseID(s)
		case TypeGoAway:
			var s string
			s, goaway = pop(goaway)
			f.GoAwayLast = parseID(s)
		}
	}
	return nil
}

func pop(l []string) (string, []string) {
	if len(l) == 0 {
		return "", nil
	}
	return l[0], l[1:]
}

func parseID(s string) uint32 {
	n, err := strconv.ParseUint(s, 10, 31)
	if err != nil {
		return 0
	}
	return uint32(n)
}

// headerCursor hands out each header block fragment's fields in frame
// order. http2.header.count says how many entries each fragment has, but
// it counts HPACK dynamic table size updates too, which have no name
// (suricata_dns_over_http2_POST.pcap, frame 10: 11 for 10 names);
// http2.header.length, the decoded block's length, counts 8 bytes plus
// name and value per header and nothing for an update, so it places the
// names exactly whenever the value lengths are known.
type headerCursor struct {
	counts []string
	blocks []string // http2.header.length per fragment
	names  []string
	lens   []int // value lengths, nil when not one per name
	values []string
	known  []bool
}

func newHeaderCursor(r *Row) (*headerCursor, error) {
	c := &headerCursor{counts: list(r.HeaderCount), blocks: list(r.HeaderLens), names: list(r.HeaderNames)}
	lens := list(r.ValueLens)
	if len(lens) == len(c.names) {
		c.values, c.known = cutValues(r.Values, lens)
		c.lens = make([]int, len(lens))
		for i, l := range lens {
			if n, err := strconv.Atoi(l); err == nil && n >= 0 {
				c.lens[i] = n
			} else {
				c.lens = nil
				break
			}
		}
	} else {
		c.values, c.known = make([]string, len(c.names)), make([]bool, len(c.names))
	}
	if len(c.blocks) != len(c.counts) {
		c.blocks = nil
	}
	return c, nil
}

func (c *headerCursor) next() ([]Header, bool, error) {
	var s, b string
	s, c.counts = pop(c.counts)
	b, c.blocks = pop(c.blocks)
	if s == "" {
		return nil, true, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return nil, false, fmt.Errorf("http2.header.count %q", s)
	}
	if k, ok := c.byLength(b, n); ok {
		n = k
	} else if n > len(c.names) {
		return nil, false, fmt.Errorf("http2.header.count %q for %d names", s, len(c.names))
	}
	h := make([]Header, n)
	all := true
	for i := range h {
		h[i] = Header{Name: c.names[i], Value: c.values[i], Known: c.known[i]}
		all = all && c.known[i]
	}
	c.names, c.values, c.known = c.names[n:], c.values[n:], c.known[n:]
	if c.lens != nil {
		c.lens = c.lens[n:]
	}
	return h, all, nil
}

// byLength returns how many of the next names make up a block of decoded
// length b holding at most count entries.
func (c *headerCursor) byLength(b string, count int) (int, bool) {
	want, err := strconv.Atoi(b)
	if c.lens == nil || err != nil {
		return 0, false
	}
	sum := 0
	for k := 0; k <= count && k <= len(c.names); k++ {
		if sum == want {
			return k, true
		}
		if k < len(c.names) {
			sum += 8 + len(c.names[k]) + c.lens[k]
		}
	}
	return 0, false
}

// cutValues splits tshark's comma-joined header values by their lengths
// (values hold commas themselves). tshark joins a custom column's values
// by adding "," only once the text is not empty, so empty values before
// the first non-empty one leave no trace and later ones an empty slot. A
// value whose length does not fit the text (tshark escaped a byte, or
// shortened a long value) and every value behind it cannot be placed from
// the front; they are placed from the back instead, up to the misfit,
// which stays unknown.
func cutValues(joined string, lens []string) ([]string, []bool) {
	n := make([]int, len(lens))
	for i, ls := range lens {
		v, err := strconv.Atoi(ls)
		if err != nil || v < 0 {
			v = -1
		}
		n[i] = v
	}
	vals, known := make([]string, len(n)), make([]bool, len(n))
	pos, i := 0, 0
	for ; i < len(n) && n[i] >= 0; i++ {
		if pos == 0 && n[i] == 0 {
			known[i] = true // an empty value with nothing before: no trace
			continue
		}
		p := pos
		if p > 0 {
			if p >= len(joined) || joined[p] != ',' {
				break
			}
			p++
		}
		end := p + n[i]
		if end > len(joined) || (end < len(joined) && joined[end] != ',') {
			break
		}
		vals[i], known[i], pos = joined[p:end], true, end
	}
	if i == len(n) {
		if pos != len(joined) {
			return vals, make([]bool, len(n))
		}
		return vals, known
	}
	end := len(joined)
	for j := len(n) - 1; j > i && n[j] >= 0; j-- {
		start := end - n[j]
		if start-1 < pos || joined[start-1] != ',' {
			break
		}
		vals[j], known[j] = joined[start:end], true
		end = start - 1
	}
	return vals, known
}
