package capfile

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/testutil"
)

func pcapHeader(magic uint32, linktype uint32) []byte {
	b := make([]byte, 24)
	binary.LittleEndian.PutUint32(b[0:], magic)
	binary.LittleEndian.PutUint16(b[4:], 2)
	binary.LittleEndian.PutUint16(b[6:], 4)
	binary.LittleEndian.PutUint32(b[16:], 65535)
	binary.LittleEndian.PutUint32(b[20:], linktype)
	return b
}

func pcapRecord(payload []byte) []byte {
	b := make([]byte, 16, 16+len(payload))
	binary.LittleEndian.PutUint32(b[8:], uint32(len(payload)))
	binary.LittleEndian.PutUint32(b[12:], uint32(len(payload)))
	return append(b, payload...)
}

func pcapngBlock(btype uint32, body []byte) []byte {
	for len(body)%4 != 0 {
		body = append(body, 0)
	}
	l := uint32(12 + len(body))
	b := binary.LittleEndian.AppendUint32(nil, btype)
	b = binary.LittleEndian.AppendUint32(b, l)
	b = append(b, body...)
	return binary.LittleEndian.AppendUint32(b, l)
}

func shb() []byte {
	body := binary.LittleEndian.AppendUint32(nil, 0x1A2B3C4D)
	body = append(body, 1, 0, 0, 0)                                     // version 1.0
	body = append(body, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff) // section length -1
	return pcapngBlock(blockSHB, body)
}

func idb(link uint16) []byte {
	body := binary.LittleEndian.AppendUint16(nil, link)
	body = append(body, 0, 0, 0, 0, 0, 0)
	return pcapngBlock(blockIDB, body)
}

func gz(b []byte) []byte {
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	w.Close()
	return buf.Bytes()
}

func TestRead(t *testing.T) {
	pcapOne := append(pcapHeader(0xa1b2c3d4, 1), pcapRecord(make([]byte, 60))...)
	ng := append(append(shb(), idb(113)...), pcapngBlock(blockEPB, make([]byte, 40))...)
	cases := []struct {
		name    string
		data    []byte
		want    Info
		wantErr error
	}{
		{"pcap", pcapOne, Info{Format: PCAP, LinkType: 1, HasPackets: true}, nil},
		{"pcap-ns", append(pcapHeader(0xa1b23c4d, 1), pcapRecord(nil)...), Info{Format: PCAP, LinkType: 1, HasPackets: true, Nanosecond: true}, nil},
		{"pcap-empty", pcapHeader(0xa1b2c3d4, 1), Info{Format: PCAP, LinkType: 1}, ErrEmpty},
		{"pcap-cut-header", pcapHeader(0xa1b2c3d4, 1)[:8], Info{}, ErrTruncated},
		{"pcap-cut-record", append(pcapHeader(0xa1b2c3d4, 1), 1, 2, 3), Info{Format: PCAP, LinkType: 1}, ErrTruncated},
		{"pcapng", ng, Info{Format: PCAPNG, LinkType: 113, HasPackets: true}, nil},
		{"pcapng-no-packets", append(shb(), idb(1)...), Info{Format: PCAPNG, LinkType: 1}, ErrEmpty},
		{"gzip-pcap", gz(pcapOne), Info{Format: PCAP, LinkType: 1, HasPackets: true, Compressed: true}, nil},
		{"text", []byte("hello\n"), Info{}, ErrNotCapture},
		{"empty", nil, Info{}, ErrNotCapture},
		{"gzip-text", gz([]byte("GET / HTTP/1.1\r\n")), Info{Compressed: true}, ErrNotCapture},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got, err := Read(bytes.NewReader(c.data))
			if !errors.Is(err, c.wantErr) {
				t.Fatalf("err = %v, want %v", err, c.wantErr)
			}
			if got != c.want {
				t.Errorf("info = %+v, want %+v", got, c.want)
			}
		})
	}
}

// TestSniffSharedCaptures checks the classification of real files.
func TestSniffSharedCaptures(t *testing.T) {
	dir := testutil.Shared(t, "")
	cases := map[string]error{
		"http/zeek_pipelined-requests.pcap":      nil,
		"http/sanders_http_espn.pcapng":          nil,
		"tcp/zeek_iso-download_loopback.pcap.gz": nil,
		"odd/arkime_empty.pcap":                  ErrEmpty,
		"odd/suricata_http-mime-truncated.pcap":  nil, // cut in the middle, not in the header
		"SOURCES.md":                             ErrNotCapture,
	}
	for name, want := range cases {
		_, err := Sniff(filepath.Join(dir, name))
		if !errors.Is(err, want) {
			t.Errorf("%s: err = %v, want %v", name, err, want)
		}
	}
	if _, err := Sniff(filepath.Join(dir, "nope.pcap")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func FuzzRead(f *testing.F) {
	f.Add(append(pcapHeader(0xa1b2c3d4, 1), pcapRecord(make([]byte, 4))...))
	f.Add(append(append(shb(), idb(1)...), pcapngBlock(blockEPB, make([]byte, 8))...))
	f.Add(gz(pcapHeader(0xd4c3b2a1, 1)))
	f.Add([]byte("hello"))
	f.Fuzz(func(t *testing.T, b []byte) {
		info, err := Read(bytes.NewReader(b))
		if err == nil && !info.HasPackets {
			t.Fatalf("no error but no packets: %+v", info)
		}
		if err == nil && info.Format != PCAP && info.Format != PCAPNG {
			t.Fatalf("no error but format %q", info.Format)
		}
	})
}
