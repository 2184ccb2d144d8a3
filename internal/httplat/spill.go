package httplat

import (
	"bufio"
	"encoding/json"
	"io"
	"os"

	"github.com/pcapmeter/pcapmeter/internal/tmpfile"
)

// spill holds values in a temporary JSON Lines file, so that exchanges that
// must wait their turn (a shard's until the merge, a file's until the files
// before it are done) wait on disk rather than in memory.
type spill[T any] struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
}

// newSpill makes a spill in $TMPDIR with no name (tmpfile.New): pcapmeter
// killed by SIGKILL, the OOM killer or a SIGPIPE from `| head` leaves
// nothing behind, since the kernel frees the file with its descriptor.
func newSpill[T any]() (*spill[T], error) {
	f, err := tmpfile.New("")
	if err != nil {
		return nil, err
	}
	w := bufio.NewWriterSize(f, 256<<10)
	return &spill[T]{f: f, w: w, enc: json.NewEncoder(w)}, nil
}

func (s *spill[T]) add(v *T) error { return s.enc.Encode(v) }

// reader returns a decoder of everything added, from the first value.
func (s *spill[T]) reader() (*json.Decoder, error) {
	if err := s.w.Flush(); err != nil {
		return nil, err
	}
	if _, err := s.f.Seek(0, io.SeekStart); err != nil {
		return nil, err
	}
	return json.NewDecoder(bufio.NewReaderSize(s.f, 256<<10)), nil
}

// remove closes the file, which frees it: it never had a name.
func (s *spill[T]) remove() {
	s.f.Close()
}
