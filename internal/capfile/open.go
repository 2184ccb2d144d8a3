package capfile

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
)

// Reader is a capture opened for reading its packet records: the embedded
// bufio.Reader yields the capture's bytes from the first one, gzip
// already undone, so a packet reader only chooses its parser by Format.
type Reader struct {
	*bufio.Reader
	Format     Format
	Compressed bool
	// Size is the file's size on disk (compressed, for a gzip file).
	Size int64

	f   *os.File
	zr  *gzip.Reader
	raw *countingReader
}

// Open opens path with buffers of bufSize bytes and tells its format from
// its signature, the way Sniff does; a file that is neither pcap nor
// pcapng (once decompressed) is ErrNotCapture. Unlike Sniff it does not
// read past the signature. The caller closes the Reader.
func Open(path string, bufSize int) (*Reader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	r := &Reader{f: f, raw: &countingReader{r: f}, Size: st.Size()}
	plain, zr, err := uncompressed(bufio.NewReaderSize(r.raw, bufSize), bufSize)
	if err == nil {
		r.Reader, r.zr, r.Compressed = plain, zr, zr != nil
		magic, _ := plain.Peek(4)
		r.Format, err = formatOf(magic)
	}
	if err != nil {
		r.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return r, nil
}

// Consumed is how many bytes of the file, as stored on disk, have been
// read so far: the measure of progress through a compressed file too.
func (r *Reader) Consumed() int64 { return r.raw.n }

// Close closes the file.
func (r *Reader) Close() error {
	if r.zr != nil {
		r.zr.Close()
	}
	return r.f.Close()
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
