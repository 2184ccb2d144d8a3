package shard

import (
	"os"

	"golang.org/x/sys/unix"
)

// GrowPipe raises a shard pipe's capacity from Linux's 64 KiB to 1 MiB (the
// unprivileged maximum), so that tshark and the splitter wake each other a
// sixteenth as often; it is what every analysis passes as Plan.Pipe.
// Failure only leaves the default.
func GrowPipe(f *os.File) {
	unix.FcntlInt(f.Fd(), unix.F_SETPIPE_SZ, 1<<20)
}
