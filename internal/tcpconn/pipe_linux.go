package tcpconn

import (
	"os"

	"golang.org/x/sys/unix"
)

// growPipe raises a shard's pipe from Linux's 64 KiB to 1 MiB (the
// unprivileged maximum), as the HTTP path does, so that tshark and the
// splitter wake each other a sixteenth as often. Failure only leaves the
// default.
func growPipe(f *os.File) {
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, 1<<20)
}
