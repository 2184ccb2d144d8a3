package shard

import (
	"context"
	"errors"
	"io"
)

// Flows counts the TCP connections (distinct address and port pairs, the
// unit a shard is made of) in path, stopping once it has found atMost:
// the caller wants no more shards than connections, since a shard without
// one starts a tshark (~0.3 s, ~160 MB) for nothing. It costs one read of
// the file only when the capture has fewer connections than atMost, and
// that read is cheap next to the tshark it saves. A capture cut short
// counts what was read; an error means the file cannot be split here
// either (ErrUnsupported) or the run was cancelled.
func Flows(ctx context.Context, path string, atMost int) (int, error) {
	in, err := openCapture(path)
	if err != nil {
		return 0, err
	}
	defer in.Close()
	next, link, _, err := packets(in)
	if err != nil {
		return 0, err
	}
	seen := map[tuple]struct{}{}
	for frame := 1; len(seen) < atMost; frame++ {
		data, _, err := next()
		if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
			break
		}
		if err != nil {
			return 0, errors.Join(ErrUnsupported, err)
		}
		if frame&0x3ff == 0 {
			if err := ctx.Err(); err != nil {
				return 0, err
			}
		}
		p, err := parseTCP(link, data)
		if err != nil {
			return 0, err
		}
		if p.ok {
			seen[orderTuple(p.src, p.dst)] = struct{}{}
		}
	}
	return len(seen), nil
}
