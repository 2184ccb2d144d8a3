package capfile

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestOpen: Open agrees with Read on what the bytes are, hands over the
// capture from its first byte with gzip undone, and counts progress in
// the file's own bytes.
func TestOpen(t *testing.T) {
	pcapOne := append(pcapHeader(0xa1b2c3d4, 1), pcapRecord(make([]byte, 60))...)
	ng := append(append(shb(), idb(1)...), pcapngBlock(blockEPB, make([]byte, 40))...)
	dir := t.TempDir()
	cases := []struct {
		name       string
		data       []byte
		format     Format
		compressed bool
		err        error
	}{
		{"pcap", pcapOne, PCAP, false, nil},
		{"pcapng", ng, PCAPNG, false, nil},
		{"gzip-pcapng", gz(ng), PCAPNG, true, nil},
		{"text", []byte("hello\n"), "", false, ErrNotCapture},
		{"gzip-text", gz([]byte("hello, world\n")), "", false, ErrNotCapture},
		{"broken-gzip", []byte{0x1f, 0x8b, 0}, "", false, ErrNotCapture},
		{"short", []byte{0xd4}, "", false, ErrNotCapture},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			path := filepath.Join(dir, c.name)
			os.WriteFile(path, c.data, 0o644)
			r, err := Open(path, 4096)
			if !errors.Is(err, c.err) {
				t.Fatalf("err = %v, want %v", err, c.err)
			}
			if err != nil {
				return
			}
			defer r.Close()
			if r.Format != c.format || r.Compressed != c.compressed || r.Size != int64(len(c.data)) {
				t.Errorf("%+v", r)
			}
			want := pcapOne
			if c.format == PCAPNG {
				want = ng
			}
			got, err := io.ReadAll(r)
			if err != nil || string(got) != string(want) {
				t.Errorf("read %d bytes (%v), want the %d of the capture", len(got), err, len(want))
			}
			if r.Consumed() != int64(len(c.data)) {
				t.Errorf("consumed %d of %d file bytes", r.Consumed(), len(c.data))
			}
		})
	}
	if _, err := Open(filepath.Join(dir, "nope"), 4096); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}
