package export

import (
	"context"
	"errors"
	"os"
	"testing"

	"github.com/pcapmeter/pcapmeter/internal/faketshark"
	"github.com/pcapmeter/pcapmeter/internal/testutil"
	"github.com/pcapmeter/pcapmeter/tshark"
)

func TestMain(m *testing.M) {
	faketshark.Main()
	os.Exit(m.Run())
}

// TestOldTsharkNoRows: the version check runs beside the dissection, but
// a tshark too old still hands on no row of what it printed, and its
// verdict is the error.
func TestOldTsharkNoRows(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(faketshark.Env, faketshark.Old)
	cols, _ := FieldColumns([]string{"frame.number"})
	e, err := Prepare(context.Background(), Options{File: testutil.Testdata("http", "synth-gaps-v6.pcap"), Columns: cols, Tshark: exe})
	if err != nil {
		t.Fatal(err)
	}
	rows := 0
	_, err = e.Run(context.Background(), func([]string) error { rows++; return nil })
	var old *tshark.TooOldError
	if !errors.As(err, &old) || rows != 0 {
		t.Errorf("old tshark: %v, %d rows handed on", err, rows)
	}
}
