//go:build !linux

package tmpfile

import (
	"errors"
	"os"
)

// openUnnamed is unsupported: only Linux has O_TMPFILE.
func openUnnamed(string, os.FileMode) (*os.File, error) { return nil, errors.ErrUnsupported }

// Path returns "": without /proc, a removed file cannot be opened again by
// path, and callers keep a named file instead.
func Path(*os.File) string { return "" }

// Link is unsupported without unnamed files.
func Link(*os.File, string) error { return errors.ErrUnsupported }
