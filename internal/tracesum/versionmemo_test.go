package tracesum

import "github.com/pcapmeter/pcapmeter/internal/testutil"

// The real tshark's --version is asked once per test binary, not once per
// Run; see testutil.TsharkOnce. Any other tshark is checked every time.
func init() { findTshark = testutil.TsharkOnce.Find }
