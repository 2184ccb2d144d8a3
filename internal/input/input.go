// Package input turns capture arguments into files every consumer can
// open by path as often as it needs: glob patterns are expanded, the same
// capture named twice is refused (by identity, not spelling), FIFOs and
// standard input are read once into a temporary file that cannot outlive
// pcapmeter, and anything else that is not a regular file (a directory, a
// device) gets one clear line. pcapmeter reads a capture several times
// (the header check, the flow splitter, one tshark per shard or two
// passes), which a stream cannot give, and it must never block in the
// open() of a FIFO nobody writes, where Ctrl-C cannot reach it.
package input

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Stdin is the argument that names standard input.
const Stdin = "-"

// Expand expands the capture arguments: a name that exists is kept as
// given, and one that does not but holds a wildcard (*, ?, [) is a glob
// expanded in name order (dumpcap's ring-buffer files sort by index that
// way). Shells expand globs already; this covers quoted patterns and
// shells that do not, and a pattern that matches nothing is an error
// rather than a file called "*.pcap". "-" (standard input) is kept.
func Expand(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		if _, err := os.Lstat(a); err == nil || a == Stdin || !strings.ContainsAny(a, "*?[") {
			out = append(out, a)
			continue
		}
		m, err := filepath.Glob(a)
		if err != nil {
			return nil, fmt.Errorf("invalid file pattern %q: %v", a, err)
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("no file matches %q", a)
		}
		out = append(out, m...)
	}
	return out, nil
}

// DuplicateError says that one capture is named twice, where merging would
// count every exchange twice.
type DuplicateError struct {
	First, Again string // the two names, as given
}

func (e *DuplicateError) Error() string {
	if e.First == e.Again || filepath.Clean(e.First) == filepath.Clean(e.Again) {
		return fmt.Sprintf("%s is given twice (check overlapping patterns); give each capture once", e.Again)
	}
	return fmt.Sprintf("%s and %s are the same capture (another spelling, a link or a hard link of one file); give each capture once", name(e.First), name(e.Again))
}

// Unique refuses a capture named twice (pcapmeter icmp, which may read one
// capture for two nodes, does not call it). Files are compared by identity
// (device and inode, through symlinks), so `wiki.pcap`, `./wiki.pcap`,
// `/abs/wiki.pcap`, a symlink and a hard link are all the same capture; "-"
// is standard input's file. A name that cannot be examined (a missing
// file, reported later as such) is compared by its absolute path.
func Unique(files []string) error {
	seen := map[any]string{}
	for _, f := range files {
		k := key(f)
		if first, ok := seen[k]; ok {
			return &DuplicateError{First: first, Again: f}
		}
		seen[k] = f
	}
	return nil
}

// key is what makes two names the same capture.
func key(f string) any {
	var st os.FileInfo
	var err error
	if f == Stdin {
		st, err = stdinFile.Stat()
	} else {
		st, err = os.Stat(f)
	}
	if err == nil {
		if id, ok := identity(st); ok {
			return id
		}
	}
	if abs, err := filepath.Abs(f); err == nil {
		return abs
	}
	return filepath.Clean(f)
}

// NotRegularError says that an argument is neither a regular file nor a
// stream pcapmeter can read once (a FIFO, standard input).
type NotRegularError struct {
	Path string
	What string // "a directory", "a character device", ...
}

func (e *NotRegularError) Error() string {
	return fmt.Sprintf("%s is %s, not a capture file; give a pcap or pcapng file, a FIFO or - (standard input)", name(e.Path), e.What)
}

// IsRegular reports whether path names a regular file (through symlinks),
// so a caller can tell "the file is not a capture" from "this is a
// directory" before offering advice about converting files.
func IsRegular(path string) bool {
	st, err := os.Stat(path)
	return err == nil && st.Mode().IsRegular()
}

// describe names the kind of a non-regular file for messages.
func describe(m os.FileMode) string {
	switch {
	case m.IsDir():
		return "a directory"
	case m&os.ModeCharDevice != 0:
		return "a character device"
	case m&os.ModeDevice != 0:
		return "a block device"
	case m&os.ModeSocket != 0:
		return "a socket"
	case m&os.ModeNamedPipe != 0:
		return "a FIFO"
	}
	return "not a regular file"
}

// name is how messages refer to an argument.
func name(arg string) string {
	if arg == Stdin {
		return "standard input"
	}
	return arg
}
