//go:build !unix

package input

import (
	"context"
	"errors"
	"io"
	"os"
)

var errStreams = errors.New("reading a capture from a FIFO or standard input is not supported on this system; save it to a file first")

func openFIFO(string) (*os.File, error) { return nil, errStreams }

func copyStream(context.Context, io.Writer, *os.File) (int64, error) { return 0, errStreams }
