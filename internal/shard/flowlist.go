package shard

import "net/netip"

// flowList is a shard's connections in tshark's order (Out.flows): 24
// bytes for one between IPv4 ends, where a Flow takes 72 (netip.AddrPort
// keeps room for IPv6 and a zone); the others are kept whole in a map.
type flowList struct {
	recs  []flowRec
	other map[int64]Flow // by index, the flows whose rec says other
}

type flowRec struct {
	global int64
	a, b   [4]byte
	ap, bp uint16
	other  bool
}

func (l *flowList) len() int64 { return int64(len(l.recs)) }

func (l *flowList) add(f Flow) {
	a, b := f.A.Addr(), f.B.Addr()
	if a.Is4() && b.Is4() {
		l.recs = append(l.recs, flowRec{global: f.Global, a: a.As4(), b: b.As4(), ap: f.A.Port(), bp: f.B.Port()})
		return
	}
	if l.other == nil {
		l.other = map[int64]Flow{}
	}
	l.other[l.len()] = f
	l.recs = append(l.recs, flowRec{global: f.Global, other: true})
}

// at is flow j, which must be in the list.
func (l *flowList) at(j int64) Flow {
	r := &l.recs[j]
	if r.other {
		return l.other[j]
	}
	return Flow{Global: r.global,
		A: netip.AddrPortFrom(netip.AddrFrom4(r.a), r.ap),
		B: netip.AddrPortFrom(netip.AddrFrom4(r.b), r.bp)}
}
