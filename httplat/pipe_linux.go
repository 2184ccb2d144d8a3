package httplat

import (
	"os"
	"syscall"
)

// growPipe raises a shard pipe's capacity from Linux's 64 KiB to 1 MiB (the
// unprivileged maximum), so that tshark and the splitter wake each other a
// sixteenth as often. Failure only leaves the default.
func growPipe(f *os.File) {
	const fSetPipeSz = 1031 // F_SETPIPE_SZ
	syscall.Syscall(syscall.SYS_FCNTL, f.Fd(), fSetPipeSz, 1<<20)
}
