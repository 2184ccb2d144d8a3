package httplat

import (
	"context"
	"sync"

	"github.com/pcapmeter/pcapmeter/tshark"
)

// The real tshark's `--version` is asked once per test binary, not once
// per Run: the same binary gives the same answer, and each check is a
// tshark start (~0.2 s of CPU; 130 of the package's 470 tshark runs).
// Every other path (a fake tshark, a wrapper script) is checked every
// time, so the fault tests still see their own version answers; a failed
// check is not remembered. Run still starts the check beside the
// dissection and weighs its verdict as before.
func init() {
	real, err := tshark.Locate("")
	if err != nil {
		return // testutil.Tshark reports the missing tshark
	}
	var (
		mu sync.Mutex
		v  tshark.Version
		ok bool
	)
	checkVersion = func(ctx context.Context, path string) (tshark.Version, error) {
		if path != real {
			return tshark.Check(ctx, path)
		}
		mu.Lock()
		defer mu.Unlock()
		if ok {
			return v, nil
		}
		got, err := tshark.Check(ctx, path)
		if err == nil {
			v, ok = got, true
		}
		return got, err
	}
}
