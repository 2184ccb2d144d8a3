// Package dissect is the one way into tshark: it runs one tshark pass,
// decodes every output row into the analysis' row type, converts it into
// the analysis' typed record and hands that to a callback. Starting,
// draining, killing and reaping tshark, telling its failures apart, and
// numbering bad rows by their output line are written once, here; each
// analysis (HTTP, TCP, ICMP, summary, export) only declares its row
// schema and its conversion.
package dissect

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/pcapmeter/pcapmeter/parse"
	"github.com/pcapmeter/pcapmeter/tshark"
)

// Run runs tshark at bin as spec says (spec.Stdin, when set, is the
// capture tshark reads as "-"), decodes every row into an R, converts it
// with convert and calls each with the result, in output order.
//
// R is a struct of string fields whose csv tags name spec.Fields (see
// parse.Decode), or []string for a column set known only at run time; the
// R handed to convert is reused from row to row (its strings are not), so
// convert must not keep a pointer to it or, for []string, the slice.
//
// Run returns truncated = true when the capture is cut short in the middle
// of a packet (every row before the cut was delivered). A conversion
// error is a *parse.FormatError carrying the output line number; an error
// from each stops the run and is returned as it is. When tshark itself
// failed, its *tshark.ExitError explains a bad row better and is returned
// instead.
func Run[R, T any](ctx context.Context, bin string, spec tshark.Spec, convert func(*R) (T, error), each func(*T) error) (truncated bool, err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	args, err := tshark.Args(spec)
	if err != nil {
		return false, err
	}
	proc, err := tshark.Start(ctx, bin, args, spec.Stdin)
	if err != nil {
		return false, err
	}
	// Whatever happens below, tshark is killed (if still running) and
	// reaped before Run returns.
	defer func() { cancel(); proc.Wait() }()

	dec := parse.NewDecoder(proc.Stdout, spec.Fields, spec.Mode == tshark.Fields)
	streamErr := parse.Decode(dec, func(r *R) error {
		v, err := convert(r)
		if err != nil {
			return &parse.FormatError{Line: dec.Line(), Msg: err.Error()}
		}
		return each(&v)
	})
	if streamErr != nil {
		return false, failed(ctx, cancel, proc, spec.Input, streamErr)
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
	return false, fmt.Errorf("%s: %w", inputName(spec.Input), werr)
}

// failed decides which error explains a run that stopped early: the
// caller's cancellation, tshark's own failure (when it exited on its own
// and its output was cut or bad because of it), or the row error.
func failed(ctx context.Context, cancel context.CancelFunc, proc *tshark.Process, input string, streamErr error) error {
	if ctx.Err() != nil {
		return ctx.Err()
	}
	cancel()
	var ee *tshark.ExitError
	var fe *parse.FormatError
	if werr := proc.Wait(); errors.As(streamErr, &fe) && errors.As(werr, &ee) && ee.Signal == "" {
		return fmt.Errorf("%s: %w", inputName(input), werr)
	}
	if errors.As(streamErr, &fe) {
		return fmt.Errorf("%s: %w", inputName(input), streamErr)
	}
	return streamErr
}

// Same is the conversion of a caller that wants the decoded row itself.
func Same[R any](r *R) (R, error) { return *r, nil }

// inputName names tshark's input in messages: stdin is a shard or a
// stream, not a file called "-".
func inputName(input string) string {
	if input == "-" {
		return "tshark's input"
	}
	return input
}
