package shard

import (
	"bufio"
	"encoding/binary"
	"io"
	"math"
)

// A shard dissected only after the read (its packets waiting in a
// temporary file) would hold every header record until then: 28 bytes
// per possible row, for every such shard of a big file. Out.HeadFile
// keeps them in a file instead, written during the read and read back in
// order as the shard's rows come, so memory stays a buffer per shard.

// headSize is a record's size on disk.
const headSize = 28

// headFile is Out's records on disk.
type headFile struct {
	w    *bufio.Writer
	r    *bufio.Reader // from the first Header call, once written
	src  io.ReaderAt
	next head // the record read ahead, when have
	have bool
	err  error
}

func (hf *headFile) put(h head) {
	var b [headSize]byte
	binary.LittleEndian.PutUint32(b[0:], h.frame)
	binary.LittleEndian.PutUint32(b[4:], uint32(h.stream))
	binary.LittleEndian.PutUint64(b[8:], uint64(h.time))
	binary.LittleEndian.PutUint32(b[16:], h.seq)
	binary.LittleEndian.PutUint32(b[20:], h.ack)
	binary.LittleEndian.PutUint16(b[24:], h.flags)
	b[26] = h.dir
	if _, err := hf.w.Write(b[:]); err != nil && hf.err == nil {
		hf.err = err
	}
}

// find reads records up to frame n, returning n's. The file is read with
// ReadAt, so that whoever else reads it (or writes it) keeps its offset.
func (hf *headFile) find(n int64) (head, bool) {
	if hf.r == nil {
		hf.r = bufio.NewReaderSize(io.NewSectionReader(hf.src, 0, math.MaxInt64), 64<<10)
	}
	for {
		if !hf.have {
			var b [headSize]byte
			if _, err := io.ReadFull(hf.r, b[:]); err != nil {
				return head{}, false
			}
			hf.next = head{frame: binary.LittleEndian.Uint32(b[0:]), stream: int32(binary.LittleEndian.Uint32(b[4:])),
				time: int64(binary.LittleEndian.Uint64(b[8:])), seq: binary.LittleEndian.Uint32(b[16:]),
				ack: binary.LittleEndian.Uint32(b[20:]), flags: binary.LittleEndian.Uint16(b[24:]), dir: b[26]}
			hf.have = true
		}
		switch f := int64(hf.next.frame); {
		case f < n:
			hf.have = false
		case f == n:
			hf.have = false
			return hf.next, true
		default:
			return head{}, false
		}
	}
}

// flushHeads writes out the records still buffered, at the end of the
// read; under o.mu, as a shard whose tshark is done may Release meanwhile.
func (o *Out) flushHeads() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.hf == nil {
		return nil
	}
	if err := o.hf.w.Flush(); err != nil {
		return err
	}
	return o.hf.err
}
