// Package dissect runs one tshark pass and streams its rows, decoded into
// a typed struct, to a callback. Every analysis (HTTP latency, ICMP, and
// what follows) goes through it, so that starting, draining, killing and
// reaping tshark, and telling its failures apart, are written once.
package dissect

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Run runs tshark at bin with spec and calls fn with every row, decoded
// into a T whose csv tags are spec.Fields. It returns truncated = true when
// the capture is cut short in the middle of a packet (every row before the
// cut was delivered). Errors from fn stop the run and are returned as they
// are; a row that does not fit T's columns is a *parse.FormatError, unless
// tshark itself failed, whose *tshark.ExitError then explains it better.
func Run[T any](ctx context.Context, bin string, spec tshark.Spec, fn func(*T) error) (truncated bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	args, err := tshark.Args(spec)
	if err != nil {
		return false, err
	}
	proc, err := tshark.Start(ctx, bin, args, nil)
	if err != nil {
		return false, err
	}
	// Whatever happens below, tshark is killed (if still running) and
	// reaped before Run returns.
	defer func() { cancel(); proc.Wait() }()

	dec := parse.NewDecoder(proc.Stdout, spec.Fields, spec.Mode == tshark.Fields)
	streamErr := parse.StreamRows(dec, fn)
	if streamErr != nil {
		if ctx.Err() != nil {
			return false, ctx.Err()
		}
		cancel()
		var ee *tshark.ExitError
		var fe *parse.FormatError
		if werr := proc.Wait(); errors.As(streamErr, &fe) && errors.As(werr, &ee) && ee.Signal == "" {
			return false, fmt.Errorf("%s: %w", spec.Input, werr)
		}
		if errors.As(streamErr, &fe) {
			return false, fmt.Errorf("%s: %w", spec.Input, streamErr)
		}
		return false, streamErr
	}
	io.Copy(io.Discard, proc.Stdout)
	werr := proc.Wait()
	var trunc *tshark.TruncatedError
	switch {
	case werr == nil:
		return false, nil
	case errors.As(werr, &trunc):
		return true, nil
	}
	if err := ctx.Err(); err != nil {
		return false, err
	}
	return false, fmt.Errorf("%s: %w", spec.Input, werr)
}
