// Package outfile writes pcapmeter's output files (reports, plots,
// profiles) so that nothing is lost: an output that is the same file as an
// input capture is refused before anything is opened for writing, an
// unwritable destination is found before a long dissection rather than
// after it, and the destination is replaced only when the run has a report
// to give (Commit). A run that fails leaves an existing file as it was and
// no temporary file behind.
package outfile

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"
)

// Error is a failure to prepare or write an output file. It says which
// output and keeps the cause (an *os.PathError, usually) for errors.Is.
type Error struct {
	Path string
	Err  error
}

func (e *Error) Error() string { return fmt.Sprintf("cannot write %s: %v", e.Path, e.Err) }

func (e *Error) Unwrap() error { return e.Err }

// SameFileError refuses an output that is (the same file as) an input:
// writing it would destroy the capture being read.
type SameFileError struct {
	Output string // as given; "-" for standard output
	Input  string // as given
}

func (e *SameFileError) Error() string {
	if e.Output == "-" {
		return fmt.Sprintf("standard output is the input %s; redirect the output to another file", e.Input)
	}
	return fmt.Sprintf("refusing to write %s: it is the input %s; choose another output file", e.Output, e.Input)
}

// Check returns a *SameFileError when path ("" or "-": standard output)
// names the same file as one of inputs, compared by device and inode, so
// symlinks, relative spellings and hard links are all caught. Only a
// regular-file output is compared: a terminal or a pipe can be both stdin
// and stdout harmlessly. Inputs that cannot be examined are skipped (they
// are reported as inputs elsewhere); "-" among inputs is standard input.
func Check(path string, inputs []string) error {
	out, err := statOutput(path)
	if err != nil || !out.Mode().IsRegular() {
		return nil
	}
	for _, in := range inputs {
		st, err := statInput(in)
		if err == nil && os.SameFile(out, st) {
			return &SameFileError{Output: displayName(path), Input: in}
		}
	}
	return nil
}

// Distinct returns an error when two of paths ("" and "-" are skipped)
// name the same destination, e.g. the report and the plot: the second to
// be committed would replace the first. Paths that do not exist yet are
// compared by absolute path with symlinks resolved.
func Distinct(paths ...string) error {
	seen := map[string]string{}
	var stats []os.FileInfo
	var names []string
	for _, p := range paths {
		if isStdout(p) {
			continue
		}
		key, st := destination(p)
		if prev, ok := seen[key]; ok {
			return fmt.Errorf("%s and %s are the same output file; give each output its own name", prev, p)
		}
		for i, o := range stats {
			if st != nil && o != nil && os.SameFile(st, o) {
				return fmt.Errorf("%s and %s are the same output file; give each output its own name", names[i], p)
			}
		}
		seen[key] = p
		stats, names = append(stats, st), append(names, p)
	}
	return nil
}

// destination returns the absolute, symlink-resolved path that writing p
// replaces, and its FileInfo when it exists.
func destination(p string) (string, os.FileInfo) {
	target, err := resolve(p)
	if err != nil {
		target = p
	}
	if dir, err := filepath.EvalSymlinks(filepath.Dir(target)); err == nil {
		target = filepath.Join(dir, filepath.Base(target))
	}
	if abs, err := filepath.Abs(target); err == nil {
		target = abs
	}
	st, err := os.Stat(target)
	if err != nil {
		st = nil
	}
	return target, st
}

func isStdout(path string) bool { return path == "" || path == "-" }

func displayName(path string) string {
	if isStdout(path) {
		return "-"
	}
	return path
}

func statOutput(path string) (os.FileInfo, error) {
	if isStdout(path) {
		return os.Stdout.Stat()
	}
	return os.Stat(path)
}

func statInput(path string) (os.FileInfo, error) {
	if path == "-" {
		return os.Stdin.Stat()
	}
	return os.Stat(path)
}

// resolve follows path through symlinks to the file a write replaces: the
// report goes where the link points, and the link stays a link. A path that
// does not exist (or a link to one) resolves to that path.
func resolve(path string) (string, error) {
	p := path
	for range 40 {
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&os.ModeSymlink == 0 {
			return p, nil
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", &os.PathError{Op: "resolve", Path: path, Err: unix.ELOOP}
}

// randomSuffix names temporary files uniquely without a retry loop.
func randomSuffix() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// tempName is a hidden name beside target for its replacement.
func tempName(target string) string {
	return filepath.Join(filepath.Dir(target), "."+filepath.Base(target)+".pcapmeter-"+randomSuffix()+".tmp")
}

// errDone is returned by Commit after Commit or Abort.
var errDone = errors.New("output already committed or aborted")
