package report

import (
	"encoding/json"
	"io"
)

// jsonEncoder is the encoder every JSON output uses: '<', '>' and '&'
// stay as they are (a URI's query string must read as the capture has
// it), and a document is indented by two spaces; JSON Lines (indent false)
// keep one object per line.
func jsonEncoder(w io.Writer, indent bool) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc
}

// writeJSON writes v as one indented JSON document.
func writeJSON(w io.Writer, v any) error {
	return jsonEncoder(w, true).Encode(v)
}
