package tmpfile

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// noUnnamed forces the named fallback, for tests.
var noUnnamed bool

// openUnnamed opens an O_TMPFILE file in dir. Old kernels answer EISDIR
// (the flag's O_DIRECTORY part is all they see) and file systems without
// support EOPNOTSUPP; both mean "fall back".
func openUnnamed(dir string, perm os.FileMode) (*os.File, error) {
	if noUnnamed {
		return nil, errors.ErrUnsupported
	}
	fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(perm.Perm()))
	switch {
	case err == unix.EOPNOTSUPP || err == unix.EISDIR || err == unix.EINVAL:
		return nil, errors.ErrUnsupported
	case err != nil:
		return nil, &os.PathError{Op: "create", Path: dir, Err: err}
	}
	return os.NewFile(uintptr(fd), unnamedName(dir)), nil
}

// Path returns a path by which f can be opened again, by this process or
// any process of the same user, while f stays open: /proc/PID/fd/N. Opening
// it gives a new file description with its own offset (unlike a dup), also
// when f has no name or its name was removed, so several readers (tshark,
// the flow splitter) can each read the whole file.
func Path(f *os.File) string {
	return fmt.Sprintf("/proc/%d/fd/%d", os.Getpid(), f.Fd())
}

// Link gives the unnamed file f (from Linkable) the name path, which must
// not exist. Linking through /proc/self/fd needs no privilege, unlike
// AT_EMPTY_PATH.
func Link(f *os.File, path string) error {
	src := fmt.Sprintf("/proc/self/fd/%d", f.Fd())
	if err := unix.Linkat(unix.AT_FDCWD, src, unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW); err != nil {
		return &os.LinkError{Op: "link", Old: f.Name(), New: path, Err: err}
	}
	return nil
}
