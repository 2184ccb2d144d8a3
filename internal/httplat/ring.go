package httplat

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
	"github.com/pcapmeter/pcapmeter/internal/exchange"
	"github.com/pcapmeter/pcapmeter/internal/shard"
	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
)

// ring is several files measured as the one capture they were cut from
// (`dumpcap -b`, `editcap -c`): their packets in time order in one
// unnamed temporary pcap, so that connections, their pairing and
// retransmission state and tshark's stream numbers continue across the
// files. Files are one capture when they share a link type and none
// begins before the previous one ends; unrelated captures that do not
// overlap in time give the same figures either way (only a connection
// spanning files differs, and that is what ring files are), and
// overlapping ones are measured apart, as before.
type ring struct {
	tmp    *os.File
	path   string   // tmp's path for tshark and the splitter
	files  []string // in time order
	starts []int64  // frames before each file in the joined capture
	label  string
}

// stitch returns the files to measure: one joined capture for a ring set,
// or files as given. Why files were not joined, or were reordered, is a
// warning: the figures rest on it.
func stitch(ctx context.Context, files []FileInfo) ([]FileInfo, *ring, []string, error) {
	if len(files) < 2 {
		return files, nil, nil, nil
	}
	heads := make([]shard.Head, len(files))
	for i, f := range files {
		h, err := shard.ReadHead(f.Path)
		if err != nil {
			return files, nil, []string{fmt.Sprintf("files measured as independent captures: %v", err)}, nil
		}
		if i > 0 && h.Link != heads[0].Link {
			return files, nil, nil, nil // different links: different captures
		}
		heads[i] = h
	}
	order := make([]int, len(files))
	for i := range order {
		order[i] = i
	}
	slices.SortStableFunc(order, func(a, b int) int { return heads[a].First.Compare(heads[b].First) })
	r := &ring{}
	for _, i := range order {
		r.files = append(r.files, files[i].Path)
	}
	var warns []string
	if !slices.IsSorted(order) {
		warns = append(warns, "files were not given in time order; read in the order of their first packets: "+strings.Join(r.files, ", "))
	}
	err := r.join(ctx)
	if errors.Is(err, shard.ErrOverlap) || errors.Is(err, shard.ErrUnsupported) {
		return files, nil, []string{fmt.Sprintf("files measured as independent captures (a connection spanning two of them is not followed): %v", err)}, nil
	}
	if err != nil {
		return nil, nil, nil, err
	}
	info, err := capfile.Sniff(r.path)
	if err != nil {
		r.close()
		return nil, nil, nil, err
	}
	r.label = fmt.Sprintf("%s..%s (%d files read as one capture)", r.files[0], r.files[len(r.files)-1], len(r.files))
	warns = append(warns, fmt.Sprintf("%d files read as one capture in time order (consecutive pieces, same link type): connections continue across them; frames in per-exchange output count from the start of the file named", len(r.files)))
	return []FileInfo{{Path: r.path, Info: info}}, r, warns, nil
}

// join writes the files' packets to the unnamed temporary capture.
func (r *ring) join(ctx context.Context) error {
	f, err := tmpfile.New("")
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 1<<20)
	counts, _, err := shard.Concat(ctx, r.files, bw)
	if err == nil {
		err = bw.Flush()
	}
	if err != nil {
		f.Close()
		return err
	}
	r.tmp, r.path = f, tmpfile.Path(f)
	var n int64
	for _, c := range counts {
		r.starts = append(r.starts, n)
		n += c
	}
	return nil
}

func (r *ring) close() {
	if r != nil && r.tmp != nil {
		r.tmp.Close()
	}
}

// rename puts the set's name in place of the temporary file's in a
// message.
func (r *ring) rename(msgs []string) []string {
	for i, m := range msgs {
		msgs[i] = strings.ReplaceAll(m, r.path, r.label)
	}
	return msgs
}

// sink maps an exchange of the joined capture back to the file holding
// its first frame, with frames counted from that file's start (frames in
// later files continue the count).
func (r *ring) sink(out func(string, *exchange.Exchange) error) func(string, *exchange.Exchange) error {
	return func(file string, e *exchange.Exchange) error {
		if file != r.path {
			return out(file, e)
		}
		first := int64(0)
		for _, fr := range []int64{e.ReqFirstFrame, e.Req.Frame, e.RespFirstFrame, e.Resp.Frame} {
			if fr > 0 && (first == 0 || fr < first) {
				first = fr
			}
		}
		i := max(0, sortSearch(r.starts, first)-1)
		c := *e
		for _, fr := range []*int64{&c.ReqFirstFrame, &c.Req.Frame, &c.RespFirstFrame, &c.Resp.Frame} {
			if *fr > 0 {
				*fr -= r.starts[i]
			}
		}
		return out(r.files[i], &c)
	}
}

// place maps a cross-check disagreement of the joined capture back to the
// file holding its request, frames counted from that file's start, so
// that --crosscheck names the user's files, never the temporary one.
func (r *ring) place(d *Disagreement) {
	if d.File != r.path {
		return
	}
	i := max(0, sortSearch(r.starts, d.Request.Frame)-1)
	for _, fr := range []*int64{&d.Request.Frame, &d.Tuple.Frame, &d.Tshark.Frame} {
		if *fr > 0 {
			*fr -= r.starts[i]
		}
	}
	d.File = r.files[i]
}

// sortSearch is the number of starts below frame: the file index + 1.
func sortSearch(starts []int64, frame int64) int {
	n, _ := slices.BinarySearch(starts, frame)
	return n
}
