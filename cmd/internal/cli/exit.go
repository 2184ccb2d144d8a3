package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/input"
)

// Exit is the one mapping from how a subcommand's run ended to its exit
// code and the one line a user reads on stderr, so that every binary ends
// the same way: interrupted → ExitInterrupted, a bad request → ExitUsage,
// a failure → ExitError, a report of part of the input → ExitPartial.
type Exit struct {
	Prog   string
	Stderr io.Writer
	// Stopped completes the line of an interrupted run, "interrupted;
	// tshark stopped, " + Stopped; empty means "no report".
	Stopped string
	// Explain turns a run's error into the user's line; nil means
	// Describe. It is not asked about an interrupted run, whose error is
	// only the consequence of the interruption.
	Explain func(error) string
	// Inputs, when set, are the run's captures: tshark's messages name a
	// spooled stream by its /proc/PID/fd/N path, which Failed maps back
	// to what the user gave, and a file that is not a capture gets the
	// conversion hint only when it is a regular, non-empty file.
	Inputs *input.Set
}

// convertHint is the advice for a file in some other capture format.
const convertHint = " (tshark -F pcapng -w OUT -r IN converts most other formats)"

// explain is the user's line for err, with spool paths named as given.
func (x Exit) explain(err error) string {
	msg := Describe(err)
	if x.Explain != nil {
		msg = x.Explain(err)
	}
	if x.Inputs == nil {
		return msg
	}
	for _, c := range x.Inputs.Captures {
		if c.Spooled {
			msg = strings.ReplaceAll(msg, c.Path, c.Name())
		}
	}
	if errors.Is(err, capfile.ErrNotCapture) && convertible(x.Inputs) {
		msg += convertHint
	}
	return msg
}

// convertible reports whether every capture is a regular non-empty file
// as given: an empty file, a directory or a stream is not a file in
// another format, and tshark's conversion would not help.
func convertible(s *input.Set) bool {
	for _, c := range s.Captures {
		if c.Spooled {
			return false
		}
		st, err := os.Stat(c.Path)
		if err != nil || !st.Mode().IsRegular() || st.Size() == 0 {
			return false
		}
	}
	return len(s.Captures) > 0
}

// UsageError is a request the user has to change (a display filter tshark
// rejects, say): its message is printed as it is, with ExitUsage.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Usage prints a bad flag or argument with a pointer to the subcommand's
// help and returns ExitUsage.
func (x Exit) Usage(msg string) int {
	Fail(x.Stderr, x.Prog, msg+"; see `"+x.Prog+" --help`")
	return ExitUsage
}

// Failed ends a run that returned err (not nil). A cancelled ctx (Ctrl-C,
// SIGTERM) wins over err: tshark was killed and err only says so.
func (x Exit) Failed(ctx context.Context, err error) int {
	var usage *UsageError
	switch {
	case ctx.Err() != nil:
		stopped := x.Stopped
		if stopped == "" {
			stopped = "no report"
		}
		Fail(x.Stderr, x.Prog, "interrupted; tshark stopped, "+stopped)
		return ExitInterrupted
	case errors.As(err, &usage):
		Fail(x.Stderr, x.Prog, usage.Msg)
		return ExitUsage
	default:
		Fail(x.Stderr, x.Prog, x.explain(err))
	}
	return ExitError
}

// Fail prints msg, a failure already put in words, and returns ExitError.
func (x Exit) Fail(msg string) int {
	Fail(x.Stderr, x.Prog, msg)
	return ExitError
}

// Finished ends a run whose report is written: ExitOK, or, when the
// report covers only part of the input, ExitPartial after "partial
// result: " + what (what is missing).
func (x Exit) Finished(partial bool, what string) int {
	if !partial {
		return ExitOK
	}
	Fail(x.Stderr, x.Prog, "partial result: "+what)
	return ExitPartial
}

// CutShort says what a report of a capture cut short in the middle of a
// packet covers; holds names it ("figures cover", "the CSV holds").
func CutShort(holds string) string {
	return "the capture is cut short in the middle of a packet; " + holds + " the packets before the cut"
}

// OneOf checks a flag's value against the values it accepts, with the
// error every subcommand gives: "invalid --format "xml": give text, json
// or csv".
func OneOf(flag, value string, accepted ...string) error {
	for _, a := range accepted {
		if value == a {
			return nil
		}
	}
	list := accepted[len(accepted)-1]
	if len(accepted) > 1 {
		list = strings.Join(accepted[:len(accepted)-1], ", ") + " or " + list
	}
	return fmt.Errorf("invalid --%s %q: give %s", flag, value, list)
}
