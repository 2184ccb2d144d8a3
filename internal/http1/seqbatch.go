package http1

import "slices"

// AmbiguousPipelined is exchange.Exchange.Ambiguous for an exchange of a
// pipelined batch the capture holds gaps in on both sides, or in several
// places on one side: how many messages each gap hid is not in the
// capture's sequence and acknowledgement numbers, so its pairing (or its
// being unanswered, or orphan) is FIFO's best guess.
const AmbiguousPipelined = "pipelined_batch_across_gap"

// holes returns the runs of [lo, hi) no captured segment of d holds.
func (d *seqDir) holes(lo, hi int64) []span {
	var spans []seg
	for _, s := range d.segs {
		if s.seq < hi && s.seq+int64(s.len) > lo {
			spans = append(spans, s)
		}
	}
	slices.SortFunc(spans, func(a, b seg) int { return cmp64(a.seq, b.seq) })
	var out []span
	at := lo
	for _, s := range spans {
		if s.seq > at {
			out = append(out, span{at, s.seq})
		}
		at = max(at, s.seq+int64(s.len))
	}
	if at < hi {
		out = append(out, span{at, hi})
	}
	return out
}

// batch pairs a pipelined batch: requests [g, h), which all carried
// acknowledgement lo, with the responses mine that begin in the batch's
// server range. Pairing is FIFO; gaps decide where it skips. With no gap,
// or one gap on one side only, counting decides: the one run of missing
// server bytes holds every response the batch lacks (its requests are
// unanswered, the response lost), the one run of missing client bytes
// every request it lacks (their responses are orphans); a run holding
// none is the tail of a message. Otherwise the exchanges from the first
// gap on are flagged AmbiguousPipelined and counted.
func (c *seqConn) batch(t *Tally, g, h int, lo int64, mine []int) error {
	cliEnd := c.cliReach
	if h < len(c.cli.msgs) {
		cliEnd = c.cli.msgs[h].seq
	}
	ch := c.cli.holes(c.cli.msgs[g].seq, cliEnd)
	sh := c.srv.holes(lo, c.bound)
	n, v := h-g, len(mine)
	cliAt, srvAt := int64(1<<62), int64(1<<62)
	if len(ch) > 0 {
		cliAt = ch[0].lo
	}
	if len(sh) > 0 {
		srvAt = sh[0].lo
	}
	// pre: exchanges wholly before the first gap of either side.
	pre := 0
	for pre < n && pre < v && c.cli.msgs[g+pre].seq < cliAt && c.srv.msgs[mine[pre]].seq < srvAt {
		pre++
	}
	q, k := g+pre, pre
	if err := c.pairRun(t, g, q, mine[:pre], false, ""); err != nil {
		return err
	}
	switch {
	case len(ch) == 0 && len(sh) <= 1 && v <= n:
		lost := n - v
		if len(sh) == 0 {
			lost = 0 // never sent before the capture ended: the tail
		}
		for ; lost > 0 && q < h; lost, q = lost-1, q+1 {
			if err := c.unansweredAs(t, q, true, ""); err != nil {
				return err
			}
		}
		return c.pairRun(t, q, h, mine[k:], false, "")
	case len(sh) == 0 && len(ch) <= 1 && v >= n:
		for hidden := v - n; hidden > 0; hidden, k = hidden-1, k+1 {
			if err := c.orphanAs(t, mine[k], ""); err != nil {
				return err
			}
		}
		return c.pairRun(t, q, h, mine[k:], false, "")
	}
	return c.pairRun(t, q, h, mine[k:], len(sh) > 0, AmbiguousPipelined)
}

// pairRun pairs requests [q, h) with responses rs in order; the requests
// left over are unanswered (lost: their responses fell in a gap), the
// responses orphans. amb flags them all.
func (c *seqConn) pairRun(t *Tally, q, h int, rs []int, lost bool, amb string) error {
	k := 0
	for ; q < h && k < len(rs); q, k = q+1, k+1 {
		if err := c.matchedAs(t, q, rs[k], amb); err != nil {
			return err
		}
	}
	for ; q < h; q++ {
		if err := c.unansweredAs(t, q, lost, amb); err != nil {
			return err
		}
	}
	for ; k < len(rs); k++ {
		if err := c.orphanAs(t, rs[k], amb); err != nil {
			return err
		}
	}
	return nil
}
