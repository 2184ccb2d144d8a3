package shard

import (
	"errors"
	"fmt"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"

	"github.com/pcapmeter/pcapmeter/internal/capfile"
)

// bufSize is the read buffer of the file and, for a gzip file, of the
// decompressed stream.
const bufSize = 1 << 20

// packetSource returns the next packet. Its bytes are the reader's own and
// valid only until the next call: Split copies them straight into a
// shard's buffer, and a per-packet allocation was the splitter's biggest
// cost (each pass reads every packet of the file).
type packetSource func() ([]byte, gopacket.CaptureInfo, error)

// openCapture opens path through capfile, the one place that reads
// capture signatures. A file capfile does not call a capture is for tshark
// to judge, hence ErrUnsupported.
func openCapture(path string) (*capfile.Reader, error) {
	in, err := capfile.Open(path, bufSize)
	if errors.Is(err, capfile.ErrNotCapture) {
		return nil, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	return in, err
}

// packets starts the pcap or pcapng reader the capture's format calls
// for, on capfile's own bufio.Reader (pcapgo would wrap anything else in
// another buffer and copy every byte once more).
func packets(in *capfile.Reader) (packetSource, layers.LinkType, uint32, error) {
	if in.Format == capfile.PCAPNG {
		ng, err := pcapgo.NewNgReader(in.Reader, pcapgo.NgReaderOptions{ErrorOnMismatchingLinkType: true, SkipUnknownVersion: true})
		if err != nil {
			return nil, 0, 0, fmt.Errorf("%w: %v", ErrUnsupported, err)
		}
		return ng.ZeroCopyReadPacketData, ng.LinkType(), 262144, nil
	}
	pr, err := pcapgo.NewReader(in.Reader)
	if err != nil {
		return nil, 0, 0, fmt.Errorf("%w: %v", ErrUnsupported, err)
	}
	snap := pr.Snaplen()
	if snap == 0 || snap < 65535 {
		snap = 262144
	}
	return pr.ZeroCopyReadPacketData, pr.LinkType(), snap, nil
}
