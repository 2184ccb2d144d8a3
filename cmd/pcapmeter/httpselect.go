package main

import (
	"fmt"

	"github.com/pcapmeter/pcapmeter/cmd/internal/cli"
	"github.com/pcapmeter/pcapmeter/internal/httplat"
	"github.com/pcapmeter/pcapmeter/parse"
)

// choose reads the selection flags: --filter goes to tshark as one
// argument (never through a shell; tshark itself judges its syntax before
// any dissection), the times and the client are parsed here.
func (o *httpOptions) choose() (httplat.Selection, error) {
	var sel httplat.Selection
	if err := cli.CheckText("filter", o.filter); err != nil {
		return sel, err
	}
	sel.Filter = o.filter
	for _, t := range []struct {
		flag, v string
		into    **parse.Time
	}{{"from", o.from, &sel.From}, {"to", o.to, &sel.To}} {
		if t.v == "" {
			continue
		}
		v, err := httplat.ParseCaptureTime(t.v)
		if err != nil {
			return sel, fmt.Errorf("invalid --%s: %w", t.flag, err)
		}
		*t.into = &v
	}
	if o.client != "" {
		ip, err := cli.ParseIP(o.client)
		if err != nil {
			return sel, fmt.Errorf("invalid --client: %w", err)
		}
		sel.Client = ip
	}
	if sel.From != nil && sel.To != nil && *sel.To <= *sel.From {
		return sel, fmt.Errorf("invalid --to %s: not after --from %s", o.to, o.from)
	}
	return sel, nil
}

// selectionHint explains an empty report whose exchanges the selection
// all left out ("" when it did not).
func selectionHint(res *httplat.Result) string {
	if res == nil || res.Selection == nil || res.Selection.Excluded == 0 {
		return ""
	}
	return fmt.Sprintf("no exchange in the selection: all %d exchanges found were left out by --filter, --from, --to or --client", res.Selection.Excluded)
}
