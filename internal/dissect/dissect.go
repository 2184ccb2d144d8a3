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
	return run(ctx, bin, spec, nil, func(dec *parse.Decoder) error { return parse.StreamRows(dec, fn) })
}

// RunInput is Run with tshark reading the capture from stdin (spec.Input
// "-"), as the flow shards are fed.
func RunInput[T any](ctx context.Context, bin string, spec tshark.Spec, stdin io.Reader, fn func(*T) error) (truncated bool, err error) {
	return run(ctx, bin, spec, stdin, func(dec *parse.Decoder) error { return parse.StreamRowsFast(dec, fn) })
}

// RunFast is Run with parse.StreamRowsFast, for the row-heavy HTTP path.
func RunFast[T any](ctx context.Context, bin string, spec tshark.Spec, fn func(*T) error) (truncated bool, err error) {
	return run(ctx, bin, spec, nil, func(dec *parse.Decoder) error { return parse.StreamRowsFast(dec, fn) })
}

// RunRaw is Run for a column set known only at run time: fn gets each
// row's fields as text, in spec.Fields order (no header row).
func RunRaw(ctx context.Context, bin string, spec tshark.Spec, fn func([]string) error) (truncated bool, err error) {
	return run(ctx, bin, spec, nil, func(dec *parse.Decoder) error {
		if _, err := dec.GetCSVRow(); err != nil { // the header
			return err
		}
		for {
			row, err := dec.GetCSVRow()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if err := fn(row); err != nil {
				return err
			}
		}
	})
}

func run(ctx context.Context, bin string, spec tshark.Spec, stdin io.Reader, consume func(*parse.Decoder) error) (truncated bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	args, err := tshark.Args(spec)
	if err != nil {
		return false, err
	}
	proc, err := tshark.Start(ctx, bin, args, stdin)
	if err != nil {
		return false, err
	}
	// Whatever happens below, tshark is killed (if still running) and
	// reaped before Run returns.
	defer func() { cancel(); proc.Wait() }()

	dec := parse.NewDecoder(proc.Stdout, spec.Fields, spec.Mode == tshark.Fields)
	streamErr := consume(dec)
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
