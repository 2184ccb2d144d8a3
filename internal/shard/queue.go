package shard

import (
	"bufio"
	"sync"

	"github.com/gopacket/gopacket/layers"
	"github.com/gopacket/gopacket/pcapgo"
)

// queue hands copies of written bytes to a shard's own writer goroutine.
type queue struct {
	ch  chan *[]byte
	mu  sync.Mutex
	err error
}

// chunks recycles the queues' copies: a 10 GB capture would otherwise
// leave 40,000 quarter-megabyte buffers for the garbage collector.
var chunks = sync.Pool{New: func() any { b := make([]byte, 0, chunkSize); return &b }}

// chunkSize is what each shard's bufio.Writer hands the queue at a time.
const chunkSize = 256 << 10

// queueChunks bounds a shard's queue (queueChunks × chunkSize bytes).
const queueChunks = 16

func (q *queue) Write(p []byte) (int, error) {
	if err := q.getErr(); err != nil {
		return 0, err
	}
	b := chunks.Get().(*[]byte)
	*b = append((*b)[:0], p...)
	q.ch <- b
	return len(p), nil
}

func (q *queue) setErr(err error) {
	q.mu.Lock()
	q.err = err
	q.mu.Unlock()
}

func (q *queue) getErr() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.err
}

// drain writes the queue's chunks to w until the queue is closed; after a
// write error it only recycles them, and Write reports the error.
func (q *queue) drain(w interface{ Write([]byte) (int, error) }) {
	for b := range q.ch {
		if q.getErr() == nil {
			if _, err := w.Write(*b); err != nil {
				q.setErr(err)
			}
		}
		chunks.Put(b)
	}
}

// startWriters gives every shard its pcap writer (file header written)
// over a queue and a goroutine of its own: one producer writing straight
// into several pipes would wait on whichever tshark is momentarily slowest
// while the others starve, which serialises them. The queues (4 MiB each)
// absorb that. stop closes the queues, waits for the goroutines and
// returns the first write error; it is to be called whatever err is.
func startWriters(outs map[int]*Out, snap uint32, link layers.LinkType) (stop func() error, err error) {
	var wg sync.WaitGroup
	for _, o := range outs {
		o.q = &queue{ch: make(chan *[]byte, queueChunks)}
		wg.Add(1)
		go func(o *Out) {
			defer wg.Done()
			o.q.drain(o.W)
		}(o)
		o.bw = bufio.NewWriterSize(o.q, chunkSize)
		o.pw = pcapgo.NewWriterNanos(o.bw)
	}
	stop = func() error {
		for _, o := range outs {
			close(o.q.ch)
		}
		wg.Wait()
		for _, o := range outs {
			if err := o.q.getErr(); err != nil {
				return err
			}
		}
		return nil
	}
	for _, o := range outs {
		if err := o.pw.WriteFileHeader(snap, link); err != nil {
			return stop, err
		}
	}
	return stop, nil
}
