//go:build !unix

package input

import "os"

// identity is unknown without inodes; Unique falls back to absolute paths.
func identity(os.FileInfo) (struct{}, bool) { return struct{}{}, false }
