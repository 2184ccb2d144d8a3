package testutil

import (
	"context"
	"sync"

	"github.com/pcapmeter/pcapmeter/tshark"
)

// TsharkOnce asks the real tshark (the one tshark.Locate finds with no
// explicit name, as testutil.Tshark does) for its version once per test
// binary instead of once per analysis run. Every run checks the version
// with a tshark start of its own (~0.2 s of CPU; about a fifth of the
// tshark time of an analysis package's tests), and the same binary gives
// the same answer. Any other path (a fake tshark, a wrapper script, a
// --tshark given by a test) is checked every time, so fault tests still
// see their own answers; a failed check is not remembered.
//
// Analyses check the version through dissect.Check, which a package's
// tests point at TsharkOnce.Check from a _test.go init function.
var TsharkOnce versionOnce

type versionOnce struct {
	locate sync.Once
	real   string // the real tshark's path, "" if none
	mu     sync.Mutex
	ok     bool // v is its answer
	v      tshark.Version
}

// Check has tshark.Check's signature and meaning.
func (o *versionOnce) Check(ctx context.Context, path string) (tshark.Version, error) {
	o.locate.Do(func() { o.real, _ = tshark.Locate("") })
	if o.real == "" || path != o.real {
		return tshark.Check(ctx, path)
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.ok {
		return o.v, nil
	}
	v, err := tshark.Check(ctx, path)
	if err == nil {
		o.v, o.ok = v, true
	}
	return v, err
}
