package chart

// LatencySet is one server's latencies for LatencyPage.
//
// Deprecated: use Server in a LatencyFigure. Kept so that cmd/pcapmeter
// builds until it is rewired; remove then.
type LatencySet struct {
	Title       string    // the server's label
	Unit        string    // ignored: latencies are seconds
	Samples     []float64 // latencies, seconds
	Times       []float64 // request times
	TimeSamples []float64 // latencies parallel to Times; empty: Samples
	Densities   []Density
}

// MaxRows is MaxServers.
//
// Deprecated: use MaxServers.
const MaxRows = MaxServers

// LatencyPage writes one block of panels per set to path.
//
// Deprecated: use LatencyFigure.Write.
func LatencyPage(path string, sets []LatencySet) error {
	f := LatencyFigure{Title: "Latency"}
	for _, s := range sets {
		ys := s.TimeSamples
		if len(ys) == 0 {
			ys = s.Samples
		}
		f.Servers = append(f.Servers, Server{Label: s.Title, Sorted: s.Samples, Times: s.Times, TimeLatencies: ys, Densities: s.Densities})
	}
	return f.Write(path)
}
