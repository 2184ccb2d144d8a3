package httplat

import (
	"slices"

	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/http1"
)

// pairers are one tshark run's pairers, one per pairing of the run
// (Options.modes): the selected pairing's, whose exchanges and tally
// count, and under --crosscheck the other one's, whose exchanges only feed
// the comparison.
type pairers struct {
	sel *http1.Pairer
	all []modePairer // sel first
}

type modePairer struct {
	mode http1.Pairing
	p    *http1.Pairer
}

// newPairers makes the pairers of one run; sinkFor says where each
// pairing's exchanges go. deferStalled withholds the requests of
// connections a capture gap stalled (pass 1).
func newPairers(opt *Options, deferStalled bool, sinkFor func(http1.Pairing) exchange.Sink) *pairers {
	ps := &pairers{}
	for _, m := range opt.modes() {
		p := http1.NewPairer(http1.Options{Mode: m, DeferStalled: deferStalled, Reconcile: deferStalled && m == http1.PairTuple}, sinkFor(m))
		if m == opt.Pairing {
			ps.sel = p
		}
		ps.all = append(ps.all, modePairer{m, p})
	}
	return ps
}

func (ps *pairers) add(pk *http1.Packet) error {
	for _, mp := range ps.all {
		if err := mp.p.Add(pk); err != nil {
			return err
		}
	}
	return nil
}

// flush ends the run's input and returns what the pairers leave besides
// exchanges.
func (ps *pairers) flush() (passTally, error) {
	pt := passTally{stalled: stalled{}, gappy: map[int64]http1.Cut{}}
	for _, mp := range ps.all {
		t, err := mp.p.Flush()
		if err != nil {
			return passTally{}, err
		}
		for id, c := range t.Gappy {
			pt.gappy[id] = c
		}
		for id, exs := range t.Stalled {
			pt.stalled.add(mp.mode, id, exs...)
		}
		if mp.p == ps.sel {
			t.Stalled, t.Gappy = nil, nil
			pt.counts = t
		}
	}
	return pt, nil
}

// passTally is what one pass over a file (or a shard) leaves besides its
// exchanges: the selected pairing's tally, whose counts go into the
// result, and every pairing's stalled connections, for pass 2.
type passTally struct {
	counts  http1.Tally
	stalled stalled
	// gappy are the connections left to reconciliation (PairTuple's).
	gappy map[int64]http1.Cut
}

// stalled holds, per pairing and tcp.stream, the requests pass 1 withheld
// because a capture gap stalled their connection.
type stalled map[http1.Pairing]map[int64][]exchange.Exchange

func (s stalled) add(mode http1.Pairing, stream int64, exs ...exchange.Exchange) {
	if s[mode] == nil {
		s[mode] = map[int64][]exchange.Exchange{}
	}
	s[mode][stream] = append(s[mode][stream], exs...)
}

// merge adds t's connections to s.
func (s stalled) merge(t stalled) {
	for mode, byStream := range t {
		for id, exs := range byStream {
			s.add(mode, id, exs...)
		}
	}
}

// streams returns the stalled connections of any pairing, in order.
func (s stalled) streams() []int64 {
	seen := map[int64]bool{}
	var ids []int64
	for _, byStream := range s {
		for id := range byStream {
			if !seen[id] {
				seen[id] = true
				ids = append(ids, id)
			}
		}
	}
	slices.Sort(ids)
	return ids
}
