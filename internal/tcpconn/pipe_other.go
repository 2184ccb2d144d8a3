//go:build !linux

package tcpconn

import "os"

// growPipe is a no-op where pipe capacity cannot be set.
func growPipe(*os.File) {}
