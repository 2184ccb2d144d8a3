package main

import (
	"context"

	"github.com/pcapmeter/pcapmeter/cmd/internal/report"
	"github.com/pcapmeter/pcapmeter/internal/dissect"
)

// jsonMeta is what the JSON of tcp, icmp and summary states beside the
// result: the tshark version. Their results do not carry it yet, so it is
// asked of tshark again (one `tshark --version`, JSON only); once they do,
// this goes. An answer that fails now, after a run that succeeded, leaves
// "unknown" rather than losing the report.
func jsonMeta(ctx context.Context, explicit string) report.Meta {
	_, v, err := dissect.Find(ctx, explicit)
	if err != nil {
		return report.Meta{Tshark: "unknown"}
	}
	return report.Meta{Tshark: v.String()}
}
