package httplat

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/ringjoin"
)

// ring is several files measured as the one capture they were cut from
// (`dumpcap -b`, `editcap -c`), joined by ringjoin, so that connections,
// their pairing and retransmission state and tshark's stream numbers
// continue across the files. Files that are not consecutive pieces of
// one capture (other link types, overlapping times) are measured apart,
// as before: unrelated captures that do not overlap in time give the same
// figures either way (only a connection spanning files differs, and that
// is what ring files are).
type ring struct {
	*ringjoin.Capture
}

// stitch returns the files to measure: one joined capture for a ring set,
// or files as given. Why files were not joined, or were reordered, is a
// warning: the figures rest on it. partial says a piece was cut short in
// the middle of a packet, which the joined copy no longer shows.
func stitch(ctx context.Context, files []FileInfo) (out []FileInfo, r *ring, warns []string, partial bool, err error) {
	if len(files) < 2 {
		return files, nil, nil, false, nil
	}
	paths := make([]string, len(files))
	for i, f := range files {
		paths[i] = f.Path
	}
	c, err := ringjoin.Join(ctx, paths, nil)
	var apart *ringjoin.NotOneError
	if errors.As(err, &apart) {
		return files, nil, []string{fmt.Sprintf("files measured as independent captures (a connection spanning two of them is not followed): %s", apart.Reason)}, false, nil
	}
	if err != nil {
		return nil, nil, nil, false, err
	}
	info, err := capfile.Sniff(c.Path)
	if err != nil {
		c.Close()
		return nil, nil, nil, false, err
	}
	warns = append(c.Warnings, fmt.Sprintf("%d files read as one capture in time order (consecutive pieces, same link type): connections continue across them; frames in per-exchange output count from the start of the file named", len(c.Files)))
	if c.Truncated {
		warns = append(warns, fmt.Sprintf("%s: the capture is cut short in the middle of a packet; results cover its packets before the cut (the pieces after it are read whole)", strings.Join(c.CutShort, ", ")))
	}
	return []FileInfo{{Path: c.Path, Info: info}}, &ring{c}, warns, c.Truncated, nil
}

func (r *ring) close() {
	if r != nil {
		r.Close()
	}
}

// rename puts the set's name in place of the temporary file's in a
// message.
func (r *ring) rename(msgs []string) []string {
	for i, m := range msgs {
		msgs[i] = r.Rename(m)
	}
	return msgs
}

// sink maps an exchange of the joined capture back to the file holding
// its first frame, with frames counted from that file's start (frames in
// later files continue the count).
func (r *ring) sink(out func(string, *exchange.Exchange) error) func(string, *exchange.Exchange) error {
	return func(file string, e *exchange.Exchange) error {
		if file != r.Path {
			return out(file, e)
		}
		first := int64(0)
		for _, fr := range []int64{e.ReqFirstFrame, e.Req.Frame, e.RespFirstFrame, e.Resp.Frame} {
			if fr > 0 && (first == 0 || fr < first) {
				first = fr
			}
		}
		i, _ := r.Place(first)
		c := *e
		for _, fr := range []*int64{&c.ReqFirstFrame, &c.Req.Frame, &c.RespFirstFrame, &c.Resp.Frame} {
			if *fr > 0 {
				*fr -= r.Starts[i]
			}
		}
		return out(r.Files[i], &c)
	}
}

// place maps a cross-check disagreement of the joined capture back to the
// file holding its request, frames counted from that file's start, so
// that --crosscheck names the user's files, never the temporary one.
func (r *ring) place(d *Disagreement) {
	if d.File != r.Path {
		return
	}
	i, _ := r.Place(d.Request.Frame)
	for _, fr := range []*int64{&d.Request.Frame, &d.Tuple.Frame, &d.Tshark.Frame} {
		if *fr > 0 {
			*fr -= r.Starts[i]
		}
	}
	d.File = r.Files[i]
}
