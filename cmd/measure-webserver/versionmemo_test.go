package main

import (
	"github.com/pcapmeter/pcapmeter/internal/dissect"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

// The real tshark's --version is asked once per test binary, not once per
// run; see testutil.TsharkOnce. Any other tshark is checked every time.
func init() { dissect.Check = testutil.TsharkOnce.Check }
