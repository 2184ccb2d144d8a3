//go:build unix

package input

import (
	"os"
	"syscall"
)

// fileID is a file's identity: hard links, symlinks and every spelling of
// a path share it.
type fileID struct{ dev, ino uint64 }

func identity(st os.FileInfo) (fileID, bool) {
	s, ok := st.Sys().(*syscall.Stat_t)
	if !ok {
		return fileID{}, false
	}
	return fileID{uint64(s.Dev), uint64(s.Ino)}, true
}
