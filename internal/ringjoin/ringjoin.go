// Package ringjoin turns the several files of one capture (the pieces of
// a ring buffer, `dumpcap -b`, `editcap -c`) into the one capture they
// were cut from, so that an analysis reading it sees connections, echo
// requests and their replies, frame numbers and relative times continue
// across the files exactly as in the merged file. The pieces are joined
// in the order of their first packets into an unnamed temporary pcap
// (shard.Concat), which the kernel frees when pcapmeter exits, however it
// exits. One file is used as it is, without a copy.
//
// pcapmeter http keeps files that are not consecutive pieces apart; the
// single-report analyses (tcp, summary, export, one icmp node) have no
// "apart" and refuse them with one line instead (ErrNotOneCapture).
package ringjoin

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
)

// ErrNotOneCapture says the files are not consecutive pieces of one
// capture: their link types differ, their times overlap, or pcapmeter's
// reader cannot follow one of them.
var ErrNotOneCapture = errors.New("files are not consecutive pieces of one capture")

// NotOneError is ErrNotOneCapture with its reason and what to do. http,
// which measures such files apart, quotes only the Reason.
type NotOneError struct {
	Reason string // what differs (link types, overlapping times)
	Advice string // what the user can do, for analyses that refuse
}

func (e *NotOneError) Error() string {
	return ErrNotOneCapture.Error() + ": " + e.Reason + "; " + e.Advice
}

// Is makes errors.Is(err, ErrNotOneCapture) hold.
func (e *NotOneError) Is(target error) bool { return target == ErrNotOneCapture }

// Capture is the files of a run as one capture.
type Capture struct {
	// Path is what to read: the only file, or the joined copy.
	Path string
	// Files are the inputs in the order read (time order).
	Files []string
	// Info is the first file's header: what the capture was recorded as
	// (the copy is always a pcap).
	Info capfile.Info
	// Warnings say what the figures rest on (files read in another order
	// than given).
	Warnings []string
	// Truncated says a file was cut short in the middle of a packet: its
	// part ends at the cut, and the figures are partial. The joined copy
	// itself is whole, so nothing reading it could tell.
	Truncated bool
	// CutShort names the files cut short (as name calls them).
	CutShort []string
	// Starts holds, per file in Files, the packets before it in the
	// joined copy: frame numbers of the copy map back to the user's file.
	Starts []int64
	name   func(string) string
	tmp    *os.File
}

// Joined reports whether several files were joined.
func (c *Capture) Joined() bool { return c.tmp != nil }

// Close releases the joined copy; safe to call more than once and on nil.
func (c *Capture) Close() {
	if c != nil && c.tmp != nil {
		c.tmp.Close()
		c.tmp = nil
	}
}

// Join checks the files' headers (capfile.Sniff) and joins them. A file
// without packets is kept in the set (it contributes none). name, if set,
// is how messages call a path (input.Set.Name: a spool is "standard
// input").
func Join(ctx context.Context, paths []string, name func(string) string) (*Capture, error) {
	if name == nil {
		name = func(p string) string { return p }
	}
	if len(paths) == 0 {
		return nil, errors.New("no capture file given")
	}
	infos := make([]capfile.Info, len(paths))
	for i, p := range paths {
		info, err := capfile.Sniff(p)
		if err != nil && !errors.Is(err, capfile.ErrEmpty) {
			return nil, err
		}
		infos[i] = info
	}
	if len(paths) == 1 {
		return &Capture{Path: paths[0], Files: paths, Info: infos[0], name: name}, nil
	}
	order, err := timeOrder(paths)
	if err != nil {
		return nil, err
	}
	c := &Capture{Info: infos[order[0]], name: name}
	var names []string
	for _, i := range order {
		c.Files = append(c.Files, paths[i])
		names = append(names, name(paths[i]))
	}
	if !slices.IsSorted(order) {
		c.Warnings = append(c.Warnings, "files were not given in time order; read in the order of their first packets: "+strings.Join(names, ", "))
	}
	if err := c.join(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// timeOrder sorts the files by their first packets (stable: pieces
// without packets keep their place among equals).
func timeOrder(paths []string) ([]int, error) {
	heads := make([]shard.Head, len(paths))
	for i, p := range paths {
		h, err := shard.ReadHead(p)
		if err != nil {
			return nil, &NotOneError{Reason: err.Error(), Advice: "measure them one at a time"}
		}
		if i > 0 && h.Link != heads[0].Link {
			return nil, &NotOneError{Reason: fmt.Sprintf("%s has link type %s, %s has %s", p, h.Link, paths[0], heads[0].Link), Advice: "measure them one at a time"}
		}
		heads[i] = h
	}
	order := make([]int, len(paths))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return heads[a].First.Compare(heads[b].First) })
	return order, nil
}

// join writes the files' packets to the unnamed temporary capture.
func (c *Capture) join(ctx context.Context) error {
	f, err := tmpfile.New("")
	if err != nil {
		return fmt.Errorf("joining %d files: %w", len(c.Files), err)
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	counts, cut, err := shard.Concat(ctx, c.Files, bw)
	if err == nil {
		err = bw.Flush()
	}
	if errors.Is(err, shard.ErrOverlap) || errors.Is(err, shard.ErrUnsupported) {
		f.Close()
		return &NotOneError{Reason: err.Error(), Advice: "merge them first (mergecap -w merged.pcapng FILES) or measure them one at a time"}
	}
	if err != nil {
		f.Close()
		return fmt.Errorf("joining %d files: %w", len(c.Files), err)
	}
	c.tmp, c.Path, c.Truncated = f, tmpfile.Path(f), len(cut) > 0
	for _, p := range cut {
		c.CutShort = append(c.CutShort, c.name(p))
	}
	var n int64
	for _, k := range counts {
		c.Starts = append(c.Starts, n)
		n += k
	}
	return nil
}

// Place maps a frame number of the joined copy to the file holding it
// and the frame's number within that file.
func (c *Capture) Place(frame int64) (file int, local int64) {
	if len(c.Starts) == 0 {
		return 0, frame
	}
	i, _ := slices.BinarySearch(c.Starts, frame)
	i = max(0, i-1)
	return i, frame - c.Starts[i]
}

// Rename puts the set's name in place of the joined copy's in a message
// (tshark names the path it was given).
func (c *Capture) Rename(msg string) string {
	if c == nil || c.tmp == nil {
		return msg
	}
	return strings.ReplaceAll(msg, c.Path, c.Label())
}

// Label names the set in messages and reports.
func (c *Capture) Label() string {
	if len(c.Files) == 1 {
		return c.name(c.Files[0])
	}
	return fmt.Sprintf("%s..%s (%d files)", c.name(c.Files[0]), c.name(c.Files[len(c.Files)-1]), len(c.Files))
}
