// Package capfile is the one place that reads capture file signatures.
// Sniff checks a file before tshark sees it: tshark is too forgiving to
// tell a user what is wrong (it reads a text file as a one-packet capture
// and an empty file as zero packets, both with exit status 0), and
// checking the pcap / pcapng header here turns those into one clear error
// line. Open hands pcapmeter's own packet reader (the shard splitter) the
// same bytes tshark would read, gzip undone and the format told.
package capfile

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
)

// Format is a capture file format pcapmeter accepts.
type Format string

// The formats pcapmeter accepts; anything else is refused with a hint to
// convert it with editcap.
const (
	PCAP   Format = "pcap"
	PCAPNG Format = "pcapng"
)

// Info is what the header says about a capture.
type Info struct {
	Format     Format `json:"format"`
	Compressed bool   `json:"gzip"` // gzip-compressed (tshark reads it directly)
	// LinkType is the link-layer header type of the file (pcap) or of its
	// first interface (pcapng); -1 when the header does not say.
	LinkType int `json:"link_type"`
	// HasPackets is false when the file holds no packet record at all.
	HasPackets bool `json:"has_packets"`
	// Nanosecond is true for pcap files with nanosecond timestamps.
	Nanosecond bool `json:"-"`
}

// Errors a caller branches on. They are wrapped with the file name.
var (
	ErrNotCapture = errors.New("not a pcap or pcapng capture")
	ErrTruncated  = errors.New("capture header is cut short")
	ErrEmpty      = errors.New("capture holds no packets")
)

// Sniff opens path and reads as much of it as needed to classify it.
func Sniff(path string) (Info, error) {
	f, err := os.Open(path)
	if err != nil {
		return Info{}, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return Info{}, err
	}
	if st.IsDir() {
		return Info{}, fmt.Errorf("%s is a directory: %w", path, ErrNotCapture)
	}
	info, err := Read(f)
	if err != nil {
		return info, fmt.Errorf("%s: %w", path, err)
	}
	return info, nil
}

// Read classifies the capture held in r, reading at most the header and
// the first packet record (through any non-packet pcapng blocks before it).
func Read(r io.Reader) (Info, error) {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(4); len(magic) < 4 {
		if len(magic) == 0 {
			return Info{}, fmt.Errorf("the file is empty: %w", ErrNotCapture)
		}
		return Info{}, fmt.Errorf("%d bytes: %w", len(magic), ErrNotCapture)
	}
	plain, zr, err := uncompressed(br, 64<<10)
	if err != nil {
		return Info{}, err
	}
	if zr == nil {
		return readPlain(br)
	}
	defer zr.Close()
	info, err := readPlain(plain)
	info.Compressed = true
	return info, err
}

// uncompressed returns the capture bytes of br: br itself, or a reader
// (of size bytes' buffer) over the gzip stream when br starts with gzip's
// magic, which tshark reads transparently; zr is that gzip stream, nil
// for a plain file.
func uncompressed(br *bufio.Reader, size int) (plain *bufio.Reader, zr *gzip.Reader, err error) {
	if magic, _ := br.Peek(2); len(magic) < 2 || magic[0] != 0x1f || magic[1] != 0x8b {
		return br, nil, nil
	}
	if zr, err = gzip.NewReader(br); err != nil {
		return nil, nil, fmt.Errorf("gzip: %v: %w", err, ErrNotCapture)
	}
	return bufio.NewReaderSize(zr, size), zr, nil
}

// formatOf tells the format from the first four bytes of the
// (uncompressed) capture.
func formatOf(magic []byte) (Format, error) {
	if len(magic) < 4 {
		return "", fmt.Errorf("%d bytes: %w", len(magic), ErrNotCapture)
	}
	switch {
	case isPCAPMagic(magic):
		return PCAP, nil
	case binary.BigEndian.Uint32(magic) == blockSHB:
		return PCAPNG, nil
	}
	return "", fmt.Errorf("unknown file signature % x: %w", magic, ErrNotCapture)
}

func readPlain(br *bufio.Reader) (Info, error) {
	magic, _ := br.Peek(4)
	format, err := formatOf(magic)
	if err != nil {
		return Info{}, err
	}
	if format == PCAP {
		return readPCAP(br)
	}
	return readPCAPNG(br)
}

func isPCAPMagic(m []byte) bool {
	switch binary.LittleEndian.Uint32(m) {
	case 0xa1b2c3d4, 0xd4c3b2a1, 0xa1b23c4d, 0x4d3cb2a1:
		return true
	}
	return false
}

func readPCAP(br *bufio.Reader) (Info, error) {
	hdr := make([]byte, 24)
	if _, err := io.ReadFull(br, hdr); err != nil {
		return Info{}, fmt.Errorf("pcap file header: %w", ErrTruncated)
	}
	var bo binary.ByteOrder = binary.LittleEndian
	m := binary.LittleEndian.Uint32(hdr)
	if m == 0xd4c3b2a1 || m == 0x4d3cb2a1 {
		bo = binary.BigEndian
	}
	info := Info{
		Format:     PCAP,
		LinkType:   int(bo.Uint32(hdr[20:24]) & 0x0FFFFFFF),
		Nanosecond: m == 0xa1b23c4d || m == 0x4d3cb2a1,
	}
	rec := make([]byte, 16)
	n, _ := io.ReadFull(br, rec)
	switch {
	case n == 0:
		return info, ErrEmpty
	case n < 16:
		return info, fmt.Errorf("first packet record: %w", ErrTruncated)
	}
	info.HasPackets = true
	return info, nil
}

// pcapng block types that carry packets.
const (
	blockSHB = 0x0A0D0D0A
	blockIDB = 0x00000001
	blockPB  = 0x00000002 // obsolete Packet Block
	blockSPB = 0x00000003
	blockEPB = 0x00000006
)

// maxBlocks bounds the header walk: a file with that many non-packet blocks
// before its first packet is assumed to have packets and left to tshark.
const maxBlocks = 4096

func readPCAPNG(br *bufio.Reader) (Info, error) {
	info := Info{Format: PCAPNG, LinkType: -1}
	var bo binary.ByteOrder = binary.LittleEndian
	head := make([]byte, 12)
	for i := 0; i < maxBlocks; i++ {
		n, _ := io.ReadFull(br, head[:8])
		if n == 0 && i > 0 {
			return info, ErrEmpty
		}
		if n < 8 {
			return info, fmt.Errorf("pcapng block header: %w", ErrTruncated)
		}
		btype := bo.Uint32(head[0:4])
		if binary.BigEndian.Uint32(head[0:4]) == blockSHB {
			// The section header's byte-order magic decides how to read
			// its own length and everything after it.
			if _, err := io.ReadFull(br, head[8:12]); err != nil {
				return info, fmt.Errorf("pcapng section header: %w", ErrTruncated)
			}
			switch binary.LittleEndian.Uint32(head[8:12]) {
			case 0x1A2B3C4D:
				bo = binary.LittleEndian
			case 0x4D3C2B1A:
				bo = binary.BigEndian
			default:
				return info, fmt.Errorf("pcapng byte-order magic % x: %w", head[8:12], ErrNotCapture)
			}
			btype = blockSHB
		} else if i == 0 {
			return info, fmt.Errorf("pcapng does not start with a section header: %w", ErrNotCapture)
		}
		blen := bo.Uint32(head[4:8])
		if blen < 12 || blen%4 != 0 || blen > 256<<20 {
			return info, fmt.Errorf("pcapng block length %d: %w", blen, ErrNotCapture)
		}
		consumed := uint32(8)
		if btype == blockSHB {
			consumed = 12
		}
		switch btype {
		case blockEPB, blockSPB, blockPB:
			info.HasPackets = true
			return info, nil
		case blockIDB:
			if info.LinkType < 0 {
				lt := make([]byte, 2)
				if _, err := io.ReadFull(br, lt); err != nil {
					return info, fmt.Errorf("pcapng interface block: %w", ErrTruncated)
				}
				consumed += 2
				info.LinkType = int(bo.Uint16(lt))
			}
		}
		if _, err := br.Discard(int(blen - consumed)); err != nil {
			return info, fmt.Errorf("pcapng block of %d bytes: %w", blen, ErrTruncated)
		}
	}
	info.HasPackets = true
	return info, nil
}
