package httplat

import "github.com/pcapmeter/pcapmeter/internal/testutil"

// The real tshark's --version is asked once per test binary, not once per
// Run (130 of the package's 470 tshark starts were that); see
// testutil.TsharkOnce. Fakes and wrappers are still checked every time.
func init() { checkVersion = testutil.TsharkOnce.Check }
