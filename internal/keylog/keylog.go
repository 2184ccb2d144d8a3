// Package keylog hands tshark the TLS key logs a user names: it checks
// that each is a readable file before tshark runs (tshark says nothing
// about a missing key log and decrypts nothing, silently) and joins
// several into the one file tshark reads without giving the secrets a
// name on disk.
package keylog

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
)

// Error is a key log that cannot be read.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string {
	return fmt.Sprintf("key log %s: %v", e.Path, e.Err)
}

// Unwrap is the reason the file cannot be read.
func (e *Error) Unwrap() error { return e.Err }

// File is the one key log file tshark reads (tls.keylog_file takes one
// path: the last -o wins): the user's file itself, or several files
// concatenated into an unnamed temporary file that tshark opens as
// /proc/PID/fd/N, so the secrets never get a name on disk.
type File struct {
	path string
	tmp  *os.File
}

// Open checks that every key log is a readable file (else a *Error) and
// makes the one tshark reads; without paths it is empty (no
// preferences). Close it when tshark is done.
func Open(paths []string) (*File, error) {
	kl := &File{}
	if len(paths) == 0 {
		return kl, nil
	}
	for _, p := range paths {
		if err := checkKeyLog(p); err != nil {
			return nil, err
		}
	}
	if len(paths) == 1 {
		kl.path = paths[0]
		return kl, nil
	}
	f, err := tmpfile.New("")
	if err != nil {
		return nil, fmt.Errorf("key logs: %w", err)
	}
	for _, p := range paths {
		if err := appendFile(f, p); err != nil {
			f.Close()
			return nil, err
		}
	}
	kl.tmp, kl.path = f, tmpfile.Path(f)
	return kl, nil
}

func checkKeyLog(p string) error {
	f, err := os.Open(p)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return &Error{Path: p, Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return &Error{Path: p, Err: err}
	}
	if !st.Mode().IsRegular() && st.Mode()&os.ModeNamedPipe == 0 {
		return &Error{Path: p, Err: errors.New("not a regular file")}
	}
	return nil
}

// appendFile copies the key log p to f, ending it with a newline so that
// the next file's first line stays a line of its own.
func appendFile(f *os.File, p string) error {
	src, err := os.Open(p)
	if err != nil {
		return &Error{Path: p, Err: err}
	}
	defer src.Close()
	if _, err := io.Copy(f, src); err != nil {
		return &Error{Path: p, Err: err}
	}
	if _, err := f.Write([]byte("\n")); err != nil {
		return fmt.Errorf("key logs: %w", err)
	}
	return nil
}

// Path is the one file tshark reads ("" without a key log): for a
// second tshark run that takes it some other way than Prefs.
func (k *File) Path() string {
	if k == nil {
		return ""
	}
	return k.path
}

// Prefs are the tshark preferences that make it read the key log (none
// without one).
func (k *File) Prefs() []string {
	if k == nil || k.path == "" {
		return nil
	}
	return []string{"tls.keylog_file:" + k.path}
}

// Close frees the concatenation, if any.
func (k *File) Close() {
	if k != nil && k.tmp != nil {
		k.tmp.Close()
	}
}
