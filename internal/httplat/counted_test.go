package httplat

import (
	"sync/atomic"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// TestCountedEveryExchange: Options.Counted (the progress bar's exchange
// count) is called once for every exchange the run reports, reconstructed
// ones included, also when shards measure side by side.
func TestCountedEveryExchange(t *testing.T) {
	t.Parallel()
	testutil.Tshark(t)
	var n atomic.Int64
	opt := Options{Files: []string{testutil.Testdata("http", "synth-gap-and-hole.pcapng")}, Counted: func() { n.Add(1) }}
	o := run(opt, 2)
	if o.err != nil {
		t.Fatal(o.err)
	}
	if got := n.Load(); got != int64(len(o.exs)) || got == 0 {
		t.Errorf("counted %d, %d exchanges reported", got, len(o.exs))
	}
}
