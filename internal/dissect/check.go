package dissect

import (
	"context"

	"github.com/pcapmeter/pcapmeter/tshark"
)

// Check is tshark.Check, the version check every analysis makes before
// or beside its first dissection. It is a variable only so that tests can
// ask the real tshark once per test binary (testutil.TsharkOnce) instead
// of once per run: a tshark start each, a third of the CLI tests' tshark
// time.
var Check = tshark.Check

// Find is tshark.Find, checking the version with Check.
func Find(ctx context.Context, explicit string) (string, tshark.Version, error) {
	path, err := tshark.Locate(explicit)
	if err != nil {
		return "", tshark.Version{}, err
	}
	v, err := Check(ctx, path)
	return path, v, err
}
