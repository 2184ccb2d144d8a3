package outfile

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"

	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
	"golang.org/x/sys/unix"
)

// kind is how a File reaches its destination.
type kind int

const (
	toStdout  kind = iota // standard output: written as it comes, never closed
	direct                // a device or FIFO (/dev/null, a pipe): written in place
	unnamed               // an unnamed file in the target's directory, linked on Commit
	namedTemp             // a hidden temporary file beside the target, renamed on Commit
)

// forceNamed makes Create use a named temporary file, for tests of the
// fallback on file systems without unnamed files.
var forceNamed bool

// File is an output being written. Write to it; then Commit (the run has a
// report: exit codes 0 and 3) or Abort (it has not). Abort after Commit
// does nothing, so `defer f.Abort()` covers every early return.
type File struct {
	path   string // as given
	target string // what Commit replaces: path resolved through symlinks
	kind   kind
	f      *os.File
	tmp    string // the namedTemp file's name
	done   bool
}

// Create prepares the output path ("" or "-": standard output) for a run
// reading inputs. It refuses an output that is an input (Check) and an
// existing target that is a directory or not writable, and it creates the
// replacement file now, in the target's directory, so that an unwritable
// destination fails before any work is done. Nothing visible changes until
// Commit: on Linux the replacement has no name until then (so even a
// SIGKILL leaves nothing behind); elsewhere it is a hidden file beside the
// target that Abort removes. An existing target's permission bits are kept;
// a new one gets 0666 less the umask, as a shell redirection would.
func Create(path string, inputs []string) (*File, error) {
	if err := Check(path, inputs); err != nil {
		return nil, err
	}
	if isStdout(path) {
		return &File{path: "-", kind: toStdout, f: os.Stdout}, nil
	}
	target, err := resolve(path)
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	out := &File{path: path, target: target}
	st, err := os.Stat(target)
	switch {
	case errors.Is(err, os.ErrNotExist):
		err = out.openReplacement(0o666, false)
	case err != nil:
	case st.IsDir():
		err = errors.New("it is a directory; give a file name")
	case !st.Mode().IsRegular():
		err = out.openDirect()
	case unix.Access(target, unix.W_OK) != nil:
		// A rename would succeed over a read-only file; a shell
		// redirection would not, and neither does pcapmeter.
		err = &os.PathError{Op: "open", Path: path, Err: os.ErrPermission}
	default:
		err = out.openReplacement(st.Mode().Perm(), true)
	}
	if err != nil {
		return nil, &Error{Path: path, Err: err}
	}
	return out, nil
}

// openReplacement creates the file Commit puts in place of the target.
// exact says perm is an existing file's mode, to be kept as it is rather
// than narrowed by the umask.
func (o *File) openReplacement(perm os.FileMode, exact bool) error {
	dir := filepath.Dir(o.target)
	f, err := tmpfile.Linkable(dir, perm)
	o.kind = unnamed
	if forceNamed && err == nil {
		f.Close()
		err = errors.ErrUnsupported
	}
	if errors.Is(err, errors.ErrUnsupported) {
		o.tmp = tempName(o.target)
		f, err = os.OpenFile(o.tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, perm)
		o.kind = namedTemp
	}
	var pe *os.PathError
	if errors.As(err, &pe) {
		// Name the directory, not the hidden name nobody asked for.
		return &os.PathError{Op: "create a file in", Path: dir, Err: pe.Err}
	}
	if err != nil {
		return err
	}
	o.f = f
	if exact {
		if err := f.Chmod(perm); err != nil {
			o.Abort()
			return err
		}
	}
	return nil
}

// openDirect opens a device or FIFO to write in place. O_NONBLOCK makes
// the open of a FIFO without a reader fail at once (ENXIO) instead of
// hanging where Ctrl-C cannot reach; Go then writes through its poller.
func (o *File) openDirect() error {
	f, err := os.OpenFile(o.target, os.O_WRONLY|syscall.O_NONBLOCK, 0)
	if errors.Is(err, syscall.ENXIO) {
		return errors.New("it is a FIFO that nobody reads (start its reader first)")
	}
	if err != nil {
		return err
	}
	o.f, o.kind = f, direct
	return nil
}

// Streams says whether what is written reaches the destination as it
// comes (standard output, a device or a FIFO), rather than on Commit: an
// interrupted run has then left part of its output there.
func (o *File) Streams() bool { return o.kind == toStdout || o.kind == direct }

// Name returns the output as the user gave it ("-" for standard output).
func (o *File) Name() string { return o.path }

// Write writes to the replacement (or to stdout or the device).
func (o *File) Write(p []byte) (int, error) {
	if o.done {
		return 0, &Error{Path: o.path, Err: errDone}
	}
	n, err := o.f.Write(p)
	if err != nil {
		err = &Error{Path: o.path, Err: err}
	}
	return n, err
}

// Commit puts the written file in place of the target. The data are
// synced first: a rename that survives a crash while the data do not would
// replace a good old report with an empty one. On failure the target is
// left untouched and the replacement removed.
func (o *File) Commit() error {
	if o.done {
		return &Error{Path: o.path, Err: errDone}
	}
	switch o.kind {
	case toStdout:
		o.done = true
		return nil
	case direct:
		o.done = true
		if err := o.f.Close(); err != nil {
			return &Error{Path: o.path, Err: err}
		}
		return nil
	}
	if err := o.f.Sync(); err != nil {
		o.Abort()
		return &Error{Path: o.path, Err: err}
	}
	if o.kind == unnamed {
		// A name can only be linked where none exists; link a fresh
		// hidden name, then rename it over the target in one step.
		o.tmp = tempName(o.target)
		if err := tmpfile.Link(o.f, o.tmp); err != nil {
			o.tmp = ""
			o.Abort()
			return &Error{Path: o.path, Err: err}
		}
	}
	if err := os.Rename(o.tmp, o.target); err != nil {
		o.Abort()
		return &Error{Path: o.path, Err: err}
	}
	o.tmp = ""
	o.done = true
	if err := o.f.Close(); err != nil {
		return &Error{Path: o.path, Err: err}
	}
	return nil
}

// Abort discards what was written: the target stays as it was and the
// replacement is removed. It does nothing after Commit or a previous Abort.
func (o *File) Abort() error {
	if o.done {
		return nil
	}
	o.done = true
	if o.kind == toStdout {
		return nil
	}
	err := o.f.Close()
	if o.tmp != "" {
		if rerr := os.Remove(o.tmp); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
			err = rerr
		}
		o.tmp = ""
	}
	return err
}
