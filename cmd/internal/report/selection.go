package report

import (
	"fmt"
	"io"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/httplat"
)

// jsonSelection is the selection a report covers (--filter, --from,
// --to, --client); fields not given are absent.
type jsonSelection struct {
	Filter   string `json:"filter,omitempty"`
	From     string `json:"from,omitempty"` // RFC 3339, UTC, inclusive
	To       string `json:"to,omitempty"`   // RFC 3339, UTC, exclusive
	Client   string `json:"client,omitempty"`
	Excluded int    `json:"excluded_exchanges"`
}

func selectionJSON(s *httplat.SelectionResult) *jsonSelection {
	if s == nil {
		return nil
	}
	j := &jsonSelection{Filter: s.Filter, Excluded: s.Excluded}
	if s.From != nil {
		j.From = s.From.RFC3339()
	}
	if s.To != nil {
		j.To = s.To.RFC3339()
	}
	if s.Client.IsValid() {
		j.Client = s.Client.String()
	}
	return j
}

// SelectionText prints the selection line: what was asked, and that the
// exchanges left out are not counted anywhere above.
func SelectionText(w io.Writer, s *httplat.SelectionResult) {
	j := selectionJSON(s)
	if j == nil {
		return
	}
	var parts []string
	if j.Filter != "" {
		parts = append(parts, fmt.Sprintf("request matches %q", j.Filter))
	}
	if j.From != "" {
		parts = append(parts, "request at or after "+j.From)
	}
	if j.To != "" {
		parts = append(parts, "request before "+j.To)
	}
	if j.Client != "" {
		parts = append(parts, "client "+j.Client)
	}
	fmt.Fprintf(w, "selection:   %s; %s left out (not counted above)\n", strings.Join(parts, ", "), plural(j.Excluded, "exchange", "exchanges"))
}
