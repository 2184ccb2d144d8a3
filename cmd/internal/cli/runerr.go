package cli

import (
	"context"
	"io"
)

// RunFailed prints the one line for a measurement that returned err
// (interrupted, or err described) and returns the exit code; both HTTP
// front ends end this way. An empty result (httplat.ErrNoHTTP) is not
// passed here: each front end words it for its own arguments.
func RunFailed(ctx context.Context, stderr io.Writer, prog string, err error) int {
	if ctx.Err() != nil {
		Fail(stderr, prog, "interrupted; tshark stopped, no report")
		return ExitInterrupted
	}
	Fail(stderr, prog, Describe(err))
	return ExitError
}
