//go:build !linux

package shard

import "os"

// GrowPipe is a no-op where pipe capacity cannot be set.
func GrowPipe(*os.File) {}
