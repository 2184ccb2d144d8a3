package parse

// The rows that still live in parse until they move to their slices
// (tcp.go) call the field readers by their old unexported names; these go
// with them.
var (
	pickAddr  = PickAddr
	parsePort = ParsePort
	parseU32  = ParseU32
	lastValue = LastValue
)
