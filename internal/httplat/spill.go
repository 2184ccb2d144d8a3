package httplat

import (
	"bufio"
	"encoding/json"
	"io"
	"os"
)

// spill holds values in a temporary JSON Lines file, so that exchanges that
// must wait their turn (a shard's until the merge, a file's until the files
// before it are done) wait on disk rather than in memory.
type spill[T any] struct {
	f   *os.File
	w   *bufio.Writer
	enc *json.Encoder
}

func newSpill[T any](pattern string) (*spill[T], error) {
	f, err := os.CreateTemp("", pattern)
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

// remove closes and deletes the file.
func (s *spill[T]) remove() {
	s.f.Close()
	os.Remove(s.f.Name())
}
