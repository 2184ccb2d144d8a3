package shard

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// ErrOverlap says files cannot be one capture: a file's first packet is
// older than the previous file's last, so they are not consecutive pieces
// of one ring buffer.
var ErrOverlap = errors.New("capture times overlap")

// Head is what a file's first packet says: its time and the link type.
// Empty is true for a file without packets.
type Head struct {
	First time.Time
	Link  layers.LinkType
	Empty bool
}

// ReadHead reads path's first packet.
func ReadHead(path string) (Head, error) {
	in, err := openCapture(path)
	if err != nil {
		return Head{}, err
	}
	defer in.Close()
	next, link, _, err := packets(in)
	if err != nil {
		return Head{}, err
	}
	_, ci, err := next()
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return Head{Link: link, Empty: true}, nil
	}
	if err != nil {
		return Head{}, fmt.Errorf("%w: reading %s: %v", ErrUnsupported, path, err)
	}
	return Head{First: ci.Timestamp, Link: link}, nil
}

// Concat writes the packets of paths, in that order, to w as one pcap
// with nanosecond timestamps: the pieces of a ring buffer as the one
// capture they were cut from, so that connections continue across files.
// It returns how many packets each file gave. Files with another link
// type than the first (ErrUnsupported) or a first packet older than the
// previous file's last (ErrOverlap) are refused. A file cut short ends
// its part; cut names it, since the copy itself is whole.
func Concat(ctx context.Context, paths []string, w io.Writer) (counts []int64, cut []string, err error) {
	var pw *pcapgo.Writer
	var link layers.LinkType
	var last time.Time
	counts = make([]int64, len(paths))
	for i, p := range paths {
		in, err := openCapture(p)
		if err != nil {
			return nil, nil, err
		}
		next, l, snap, err := packets(in)
		if err == nil && pw == nil {
			link, pw = l, pcapgo.NewWriterNanos(w)
			err = pw.WriteFileHeader(max(snap, 262144), l)
		} else if err == nil && l != link {
			err = fmt.Errorf("%w: %s has link type %s, %s has %s", ErrUnsupported, p, l, paths[0], link)
		}
		if err == nil {
			var short bool
			counts[i], last, short, err = copyPackets(ctx, next, pw, p, i > 0, last)
			if short {
				cut = append(cut, p)
			}
		}
		in.Close()
		if err != nil {
			return nil, nil, err
		}
	}
	return counts, cut, nil
}

// copyPackets copies one file's packets; after the first file, its first
// packet must not be older than last.
func copyPackets(ctx context.Context, next packetSource, pw *pcapgo.Writer, path string, check bool, last time.Time) (int64, time.Time, bool, error) {
	var n int64
	for {
		data, ci, err := next()
		if err == io.EOF {
			return n, last, false, nil
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return n, last, true, nil
		}
		if err != nil {
			return 0, last, false, fmt.Errorf("%w: reading %s: %v", ErrUnsupported, path, err)
		}
		if n == 0 && check && ci.Timestamp.Before(last) {
			return 0, last, false, fmt.Errorf("%w: %s begins at %s, before the previous file's last packet (%s)",
				ErrOverlap, path, ci.Timestamp.UTC().Format(time.RFC3339Nano), last.UTC().Format(time.RFC3339Nano))
		}
		if n++; n&0x3ff == 0 {
			if err := ctx.Err(); err != nil {
				return 0, last, false, err
			}
		}
		if ci.Timestamp.After(last) {
			last = ci.Timestamp
		}
		if err := pw.WritePacket(ci, data); err != nil {
			return 0, last, false, err
		}
	}
}
