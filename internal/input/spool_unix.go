//go:build unix

package input

import (
	"context"
	"io"
	"os"
	"sync"

	"golang.org/x/sys/unix"
)

// openFIFO opens a FIFO for reading without waiting for a writer: a plain
// open() blocks until one appears, in a system call no signal handler can
// end, so Ctrl-C would be ignored for good if none ever does.
func openFIFO(path string) (*os.File, error) {
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	// Only copyStream reads it, after poll says so: os.File.Read on this
	// non-blocking descriptor would take "no writer yet" for EOF.
	return os.NewFile(uintptr(fd), path), nil
}

// copyStream copies src to dst until EOF or until ctx ends. It polls src
// together with a descriptor that ctx's end makes readable, and reads only
// once src is ready, so it never blocks where cancellation cannot reach:
// not on a FIFO whose writer has not arrived (poll waits for the writer's
// first data or its close; a read would see a premature EOF), not on a
// writer that stalls half way, and not on a blocking stdin (no flag is
// changed on it, so a terminal or shared pipe is left as it was).
func copyStream(ctx context.Context, dst io.Writer, src *os.File) (int64, error) {
	wake, err := newWaker(ctx)
	if err != nil {
		return 0, err
	}
	defer wake.close()
	raw, err := src.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int64
	var rerr error
	buf := make([]byte, 256<<10)
	cerr := raw.Control(func(fd uintptr) {
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}, {Fd: int32(wake.fd()), Events: unix.POLLIN}}
		for {
			fds[0].Revents, fds[1].Revents = 0, 0
			if _, err := unix.Poll(fds, -1); err == unix.EINTR {
				continue
			} else if err != nil {
				rerr = err
				return
			}
			if fds[1].Revents != 0 {
				rerr = ctx.Err()
				return
			}
			if fds[0].Revents == 0 {
				continue
			}
			m, err := unix.Read(int(fd), buf)
			switch {
			case err == unix.EINTR || err == unix.EAGAIN:
				continue
			case err != nil:
				rerr = err
				return
			case m == 0:
				return
			}
			if _, err := dst.Write(buf[:m]); err != nil {
				rerr = err
				return
			}
			n += int64(m)
		}
	})
	if cerr != nil {
		return n, cerr
	}
	return n, rerr
}

// waker is a pipe whose read end becomes readable (at its write end's
// close) when a context ends: something poll can wait on beside the
// stream.
type waker struct {
	r, w *os.File
	once sync.Once
	stop func() bool
}

func newWaker(ctx context.Context) (*waker, error) {
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	k := &waker{r: r, w: w}
	k.stop = context.AfterFunc(ctx, k.closeWrite)
	return k, nil
}

func (k *waker) closeWrite() { k.once.Do(func() { k.w.Close() }) }

// fd is the descriptor to poll. Taken once, before polling starts; Fd
// leaves a pipe in blocking mode, which poll does not mind.
func (k *waker) fd() uintptr { return k.r.Fd() }

func (k *waker) close() {
	k.stop()
	k.closeWrite()
	k.r.Close()
}
