package synth

// markAmbiguous flags the exchanges whose pairing the capture cannot
// decide in principle. Within one pipelined batch (requests sent back to
// back before any answer), a run of requests whose first line the capture
// lacks, or of responses whose status line it lacks, hides how many
// messages it held. The capture bounds each run: a response run holds at
// least one message (bytes lie between the end of the visible response
// before it, known from its headers, and the start of the next, or the
// batch's ends, which the acknowledgement numbers give), as does a request
// run after a request captured whole; after a request whose tail is
// missing the hole may be only that tail (at least zero, and such a hole
// counts as a run even if it hides nothing). Both sides of a batch hold
// the same number of messages. Every assignment of counts within those
// bounds is tried: an exchange is ambiguous when some assignment pairs
// its visible request or response differently, or, when both are hidden,
// changes how many exchanges its run held. Without pipelining every batch
// is one request, so only an exchange hidden in both directions can be.
func markAmbiguous(exs []Exchange) {
	type key struct{ conn, batch int }
	groups := map[key][]int{}
	var order []key
	for i, e := range exs {
		k := key{e.Conn, e.Batch}
		if groups[k] == nil {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		batch := make([]*Exchange, len(groups[k]))
		for j, i := range groups[k] {
			batch[j] = &exs[i]
		}
		for j, amb := range ambiguousIn(batch) {
			batch[j].Ambiguous = amb
		}
	}
}

// run is a stretch of hidden messages on one side of a batch, between
// visible message number after−1 and visible message number after: true
// length n, lower bound lb, starting at batch position first.
type run struct {
	after, n, lb, first int
}

// side is what the capture shows of one direction of a batch: the batch
// positions of the visible messages, in order, and the runs between them.
type side struct {
	visible []int
	runs    []run
}

// sideOf builds a side over positions (batch positions, in order);
// hidden says whether a position's message is missing its first line,
// partial whether a visible one is missing its tail (then the hole after
// it may be only that tail: a run of lower bound 0, even if empty).
func sideOf(positions []int, hidden, partial func(int) bool) side {
	var s side
	for _, j := range positions {
		if hidden(j) {
			if n := len(s.runs); n > 0 && s.runs[n-1].after == len(s.visible) {
				s.runs[n-1].n++
				continue
			}
			s.runs = append(s.runs, run{after: len(s.visible), n: 1, lb: 1, first: j})
			continue
		}
		s.visible = append(s.visible, j)
		if partial(j) {
			s.runs = append(s.runs, run{after: len(s.visible), lb: 0, first: j + 1})
		}
	}
	return s
}

// place returns, for run lengths ns, each visible message's pairing
// position (the n-th request answers the n-th response) and the count.
func (s side) place(ns []int) (pos []int, total int) {
	r := 0
	for v := range s.visible {
		for ; r < len(s.runs) && s.runs[r].after <= v; r++ {
			total += ns[r]
		}
		pos = append(pos, total)
		total++
	}
	for ; r < len(s.runs); r++ {
		total += ns[r]
	}
	return pos, total
}

// batchView is what the capture shows of one batch, both sides.
type batchView struct {
	b        []*Exchange
	cli, srv side
	unsent   int // exchanges the server never answered (reset, capture end)
	truth    []int
}

func newBatchView(b []*Exchange) batchView {
	var all, sent []int
	for j := range b {
		all = append(all, j)
		if b[j].Reason != ReasonReset && b[j].Reason != ReasonCaptureEnded {
			sent = append(sent, j)
		}
	}
	v := batchView{b: b, unsent: len(b) - len(sent),
		cli: sideOf(all, func(j int) bool { return b[j].ReqFirstFrame == 0 },
			func(j int) bool { return b[j].ReqFrame == 0 }),
		srv: sideOf(sent, func(j int) bool { return b[j].RespFirstFrame == 0 }, func(int) bool { return false })}
	for x := range v.runCount() {
		v.truth = append(v.truth, v.run(x).n)
	}
	return v
}

func (v batchView) runCount() int { return len(v.cli.runs) + len(v.srv.runs) }

// run returns run x, counting the client's runs first.
func (v batchView) run(x int) run {
	if x < len(v.cli.runs) {
		return v.cli.runs[x]
	}
	return v.srv.runs[x-len(v.cli.runs)]
}

// partners maps each visible message's exchange to the exchange of the
// visible message it pairs with on the other side (−1: a hidden one), for
// run lengths lens; ok is false when lens is not consistent.
func (v batchView) partners(lens []int) (req, resp map[int]int, ok bool) {
	nc := len(v.cli.runs)
	cp, ct := v.cli.place(lens[:nc])
	sp, st := v.srv.place(lens[nc:])
	if ct-st != v.unsent {
		return nil, nil, false
	}
	pair := func(pos []int, vis []int, otherPos []int, otherVis []int) map[int]int {
		at := map[int]int{}
		for i, p := range otherPos {
			at[p] = otherVis[i]
		}
		m := map[int]int{}
		for i, p := range pos {
			m[vis[i]] = -1
			if e, ok := at[p]; ok {
				m[vis[i]] = e
			}
		}
		return m
	}
	return pair(cp, v.cli.visible, sp, v.srv.visible), pair(sp, v.srv.visible, cp, v.cli.visible), true
}

// flag marks in out what assignment lens changes against the truth.
func (v batchView) flag(out []bool, lens []int, wantReq, wantResp map[int]int) {
	req, resp, ok := v.partners(lens)
	if !ok {
		return
	}
	for _, side := range []struct{ got, want map[int]int }{{req, wantReq}, {resp, wantResp}} {
		for e, p := range side.got {
			if p != side.want[e] {
				out[e] = true
				if p >= 0 {
					out[p] = true
				}
			}
		}
	}
	// Exchanges hidden on both sides: ambiguous when their run can hold
	// another number of them.
	for x, n := range lens {
		if r := v.run(x); n != r.n {
			for j := r.first; j < r.first+r.n; j++ {
				if v.b[j].ReqFirstFrame == 0 && v.b[j].RespFirstFrame == 0 {
					out[j] = true
				}
			}
		}
	}
}

// ambiguousIn applies the rule of markAmbiguous to one batch: every
// assignment of run lengths from their lower bounds to the batch size + 2
// (more cannot change a pairing that fewer do not) is tried.
func ambiguousIn(b []*Exchange) []bool {
	out := make([]bool, len(b))
	v := newBatchView(b)
	if v.runCount() == 0 {
		return out
	}
	wantReq, wantResp, _ := v.partners(v.truth)
	lens := make([]int, v.runCount())
	var try func(i int)
	try = func(i int) {
		if i == len(lens) {
			v.flag(out, lens, wantReq, wantResp)
			return
		}
		for n := v.run(i).lb; n <= len(b)+2; n++ {
			lens[i] = n
			try(i + 1)
		}
	}
	try(0)
	return out
}
