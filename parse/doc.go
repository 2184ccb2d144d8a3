// Package parse is what every analysis shares in reading tshark's output:
// the tab-separated row decoder (Decode, the one every slice uses, and
// StreamRows over gocsv, the reference the fuzz targets check it against),
// FormatError for output that is not what was asked for, and the typed
// field readers (fields.go: timestamps, addresses with the tunnel pick,
// ports, sequence numbers, TCP flags) so that a field reads the same in
// every slice. Each analysis's own row schema and conversion live in its
// slice (internal/http1 for HTTP/1.x). Rows are decoded one at a time and
// handed on, so memory grows with what an analysis keeps, never with the
// capture.
package parse
