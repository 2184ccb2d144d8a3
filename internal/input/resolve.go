package input

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
	"golang.org/x/term"
)

// stdinFile is standard input; tests replace it.
var stdinFile = os.Stdin

// ErrTerminal says that standard input ("-") is a terminal: a capture has
// to be piped in, and waiting for someone to type one would look like a
// hang.
var ErrTerminal = errors.New("standard input is a terminal; pipe a capture in (e.g. `tcpdump -w - ... | pcapmeter http -`) or give a file")

// Capture is one capture argument, resolved.
type Capture struct {
	// Arg is the argument as given ("-" for standard input): what messages
	// should call it.
	Arg string
	// Path is what to open, as often as needed and from any process of
	// the user (tshark -r, the header check, the flow splitter): Arg itself
	// for a regular file, else a path to the spooled copy, valid until the
	// Set is closed.
	Path string
	// Spooled is true when the capture was read once from a stream (a FIFO,
	// a pipe on standard input) into a temporary file.
	Spooled bool
}

// Name is how messages refer to the capture: "standard input" for "-".
func (c Capture) Name() string { return name(c.Arg) }

// Set is the resolved captures of a run. Close it when the run is over, on
// every path: it releases the spooled copies (which, being unnamed, the
// kernel frees anyway if pcapmeter is killed).
type Set struct {
	Captures []Capture
	files    []*os.File // spools and dups that must stay open while Paths are used
	remove   []string   // named spools, where unnamed files cannot be reopened
}

// Resolve expands args (Expand), refuses duplicates (Unique) and anything
// that is neither a regular file nor a stream, and reads each stream (a
// FIFO, "-" unless standard input is a regular file) once into a temporary
// file. Reading a stream waits for its writer as long as it takes but ends
// as soon as ctx does (Ctrl-C); a FIFO is never opened in a way that can
// block. On error nothing is left open or on disk.
func Resolve(ctx context.Context, args []string) (*Set, error) {
	files, err := Expand(args)
	if err != nil {
		return nil, err
	}
	if err := Unique(files); err != nil {
		return nil, err
	}
	return Open(ctx, files)
}

// Open is Resolve without Expand and Unique, for an analysis that may read
// one capture twice (pcapmeter icmp: one capture for two nodes). A stream
// named twice is read once and both Captures share its copy.
func Open(ctx context.Context, files []string) (*Set, error) {
	s := &Set{}
	spooled := map[any]Capture{}
	for _, a := range files {
		k := key(a)
		if c, ok := spooled[k]; ok {
			c.Arg = a
			s.Captures = append(s.Captures, c)
			continue
		}
		c, err := s.resolve(ctx, a)
		if err != nil {
			s.Close()
			return nil, err
		}
		if c.Spooled {
			spooled[k] = c
		}
		s.Captures = append(s.Captures, c)
	}
	return s, nil
}

// resolve classifies one argument without opening it (a stat never
// blocks), then spools it if it is a stream.
func (s *Set) resolve(ctx context.Context, arg string) (Capture, error) {
	c := Capture{Arg: arg, Path: arg}
	if arg == Stdin {
		return s.resolveStdin(ctx)
	}
	st, err := os.Stat(arg)
	switch {
	case err != nil:
		// Missing or unreadable: left to the caller's capture check, which
		// reports it with the file name.
		return c, nil
	case st.Mode().IsRegular():
		return c, nil
	case st.Mode()&os.ModeNamedPipe == 0:
		return c, &NotRegularError{Path: arg, What: describe(st.Mode())}
	}
	src, err := openFIFO(arg)
	if err != nil {
		return c, err
	}
	defer src.Close()
	return s.spool(ctx, arg, src)
}

// resolveStdin handles "-": a regular file redirected in is used in place
// (through its descriptor, so a 10 GB file is not copied); a pipe is
// spooled; a terminal is refused.
func (s *Set) resolveStdin(ctx context.Context) (Capture, error) {
	c := Capture{Arg: Stdin}
	st, err := stdinFile.Stat()
	switch {
	case err != nil:
		return c, fmt.Errorf("standard input: %w", err)
	case term.IsTerminal(int(stdinFile.Fd())):
		return c, ErrTerminal
	case st.Mode().IsRegular():
		if p := tmpfile.Path(stdinFile); p != "" {
			c.Path = p
			return c, nil
		}
	case st.Mode()&os.ModeNamedPipe == 0 && st.Mode()&os.ModeSocket == 0:
		return c, &NotRegularError{Path: Stdin, What: describe(st.Mode())}
	}
	return s.spool(ctx, Stdin, stdinFile)
}

// spool copies the stream src to a temporary file that stays open in s.
func (s *Set) spool(ctx context.Context, arg string, src *os.File) (Capture, error) {
	f, path, named, err := newSpool()
	if err != nil {
		return Capture{}, fmt.Errorf("reading %s: %w", name(arg), err)
	}
	if _, err := copyStream(ctx, f, src); err != nil {
		f.Close()
		if named {
			os.Remove(path)
		}
		if ctx.Err() != nil {
			return Capture{}, ctx.Err()
		}
		return Capture{}, fmt.Errorf("reading %s: %w", name(arg), err)
	}
	s.files = append(s.files, f)
	if named {
		s.remove = append(s.remove, path)
	}
	return Capture{Arg: arg, Path: path, Spooled: true}, nil
}

// newSpool creates the temporary file a stream is copied to. With /proc it
// is unnamed and reopened by its descriptor's path; elsewhere it keeps a
// name, which Close removes (every exit path of pcapmeter runs it, Ctrl-C
// included; only SIGKILL would leave it).
func newSpool() (f *os.File, path string, named bool, err error) {
	f, err = tmpfile.New("")
	if err != nil {
		return nil, "", false, err
	}
	if p := tmpfile.Path(f); p != "" {
		return f, p, false, nil
	}
	f.Close()
	f, err = os.CreateTemp("", "pcapmeter-spool-*")
	if err != nil {
		return nil, "", false, err
	}
	return f, f.Name(), true, nil
}

// Paths returns what to open for each capture, in order.
func (s *Set) Paths() []string {
	out := make([]string, len(s.Captures))
	for i, c := range s.Captures {
		out[i] = c.Path
	}
	return out
}

// Args returns the captures as given, in order (for outfile.Check, which
// reads "-" as standard input).
func (s *Set) Args() []string {
	out := make([]string, len(s.Captures))
	for i, c := range s.Captures {
		out[i] = c.Arg
	}
	return out
}

// Name maps a Path back to how messages should call it (tshark's own
// messages name the path it was given, /proc/PID/fd/N for a spool).
func (s *Set) Name(path string) string {
	for _, c := range s.Captures {
		if c.Path == path {
			return c.Name()
		}
	}
	return path
}

// Rename replaces, in a message that quotes the path tshark read, each
// spooled copy's path with the name the user gave (a FIFO's path, "standard
// input"), so that no message names a /proc descriptor.
func (s *Set) Rename(msg string) string {
	for _, c := range s.Captures {
		if c.Spooled {
			msg = strings.ReplaceAll(msg, c.Path, c.Name())
		}
	}
	return msg
}

// Close releases the spooled copies. It is safe to call more than once.
func (s *Set) Close() error {
	var first error
	for _, f := range s.files {
		if err := f.Close(); err != nil && first == nil {
			first = err
		}
	}
	for _, p := range s.remove {
		if err := os.Remove(p); err != nil && first == nil {
			first = err
		}
	}
	s.files, s.remove = nil, nil
	return first
}
