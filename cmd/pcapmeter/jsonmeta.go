package main

import (
	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/icmpnode"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// jsonMeta is what the JSON of tcp, icmp and summary states beside the
// result: the version of the tshark the analysis checked before its run
// (so JSON costs no second `tshark --version`). A result that carries
// none (the zero Version) says "unknown" rather than a made-up version.
func jsonMeta(v tshark.Version) report.Meta {
	if v == (tshark.Version{}) {
		return report.Meta{Tshark: "unknown"}
	}
	return report.Meta{Tshark: v.String()}
}

// icmpVersion is the tshark version of the nodes' run (one for all).
func icmpVersion(nodes []*icmpnode.Node) tshark.Version {
	for _, n := range nodes {
		if n != nil {
			return n.Tshark
		}
	}
	return tshark.Version{}
}
