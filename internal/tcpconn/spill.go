package tcpconn

import (
	"bufio"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/pcapmeter/pcapmeter/internal/tlshs"
	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
)

// spills keeps the finished connections of a split capture's earlier
// shards on disk while the later shards are dissected, in unnamed
// temporary files: during a read of the file pcapmeter then holds the
// states of the shards being dissected and the splitter's connection
// table, not also every Conn finished so far (on the 2M-packet bench
// capture, 3 shards at --jobs 1, ~12 MB of a 38 MB peak heap). They are
// read back once every shard is done, the splitter and its buffers gone.
type spills struct {
	mu    sync.Mutex
	files map[int]*os.File
}

// spilledShards counts the shards whose connections were spilled (tests
// check that the spill was taken).
var spilledShards atomic.Int64

// spilledConn is a Conn as written to a spill: gob leaves out nil
// pointers and turns empty slices into nil, so the TLS handshake's
// presence is said apart and the empty gap flags are restored.
type spilledConn struct {
	C      Conn
	HasTLS bool
	TLS    tlshs.Handshake
}

// put writes shard id's connections to a spill file of their own.
func (s *spills) put(id int, conns []*Conn) error {
	f, err := tmpfile.New("")
	if err != nil {
		return fmt.Errorf("spilling connections: %w", err)
	}
	s.mu.Lock()
	if s.files == nil {
		s.files = map[int]*os.File{}
	}
	s.files[id] = f
	s.mu.Unlock()
	spilledShards.Add(1)
	bw := bufio.NewWriter(f)
	enc := gob.NewEncoder(bw)
	for _, c := range conns {
		sc := spilledConn{C: *c, HasTLS: c.TLS != nil}
		if c.TLS != nil {
			sc.TLS, sc.C.TLS = *c.TLS, nil
		}
		if err := enc.Encode(&sc); err != nil {
			return fmt.Errorf("spilling connections: %w", err)
		}
	}
	return bw.Flush()
}

// get reads shard id's spilled connections back (none if it spilled
// none), closing its file.
func (s *spills) get(id int) ([]*Conn, error) {
	f := s.files[id]
	if f == nil {
		return nil, nil
	}
	delete(s.files, id)
	defer f.Close()
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	dec := gob.NewDecoder(bufio.NewReader(f))
	var out []*Conn
	for {
		var sc spilledConn
		if err := dec.Decode(&sc); errors.Is(err, io.EOF) {
			return out, nil
		} else if err != nil {
			return nil, fmt.Errorf("reading back connections: %w", err)
		}
		c := sc.C
		if sc.HasTLS {
			c.TLS = &sc.TLS
		}
		for i := range c.Gaps {
			if c.Gaps[i].Flags == nil {
				c.Gaps[i].Flags = []string{}
			}
		}
		out = append(out, &c)
	}
}

// close frees the spills not read back (a run that failed).
func (s *spills) close() {
	for _, f := range s.files {
		f.Close()
	}
}
