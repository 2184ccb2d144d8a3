// Package tmpfile makes temporary files that no exit path can leave
// behind. A spill or a spooled capture that has a name in $TMPDIR outlives
// a pcapmeter killed by SIGKILL, the OOM killer or a CI timeout, since no
// cleanup code runs then; a file without a name is freed by the kernel when
// its last descriptor closes, which happens on every exit.
package tmpfile

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// New returns an open, read-write file in dir ("" means os.TempDir()) that
// has no name: on Linux it is created unnamed (O_TMPFILE); where that is
// unsupported (the file system or the kernel) it is created with a unique
// name that is removed at once, leaving a window of one system call. Close
// frees its space; nothing else is needed to clean up.
//
// The file can still be opened again, from this process or a child, by
// Path(f) (Linux), which is how a consumer that wants a path (tshark -r)
// reads it.
func New(dir string) (*os.File, error) {
	if dir == "" {
		dir = os.TempDir()
	}
	if f, err := openUnnamed(dir, 0o600); err == nil {
		return f, nil
	} else if !errors.Is(err, errors.ErrUnsupported) {
		return nil, fmt.Errorf("temporary file in %s: %w", dir, err)
	}
	f, err := os.CreateTemp(dir, "pcapmeter-*")
	if err != nil {
		return nil, fmt.Errorf("temporary file: %w", err)
	}
	if err := os.Remove(f.Name()); err != nil {
		f.Close()
		return nil, fmt.Errorf("temporary file: %w", err)
	}
	return f, nil
}

// Linkable returns an open, read-write, unnamed file in dir with permission
// bits perm (less the umask), which Link can later give a name: a file
// being written that appears in dir only when complete, and never if the
// process dies first. It fails with errors.ErrUnsupported where unnamed
// files cannot be created in dir; callers then fall back to a named
// temporary file.
func Linkable(dir string, perm os.FileMode) (*os.File, error) {
	return openUnnamed(dir, perm)
}

// unnamedName is what an unnamed file is called in error messages.
func unnamedName(dir string) string {
	return filepath.Join(dir, "(unnamed temporary file)")
}
