package keylog

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestOpen: no key log, no preference; one is handed to tshark as it is;
// several are joined (each ending its line) into a file with no name in
// the temporary directory; a missing file or a directory is an *Error
// naming it, before tshark runs.
func TestOpen(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.keys"), filepath.Join(dir, "b.keys")
	os.WriteFile(a, []byte("CLIENT_RANDOM aa 11"), 0o600)
	os.WriteFile(b, []byte("CLIENT_RANDOM bb 22\n"), 0o600)

	none, err := Open(nil)
	if err != nil || none.Prefs() != nil {
		t.Errorf("no key log: %v %v", none.Prefs(), err)
	}
	one, err := Open([]string{a})
	if err != nil || len(one.Prefs()) != 1 || one.Prefs()[0] != "tls.keylog_file:"+a {
		t.Errorf("one key log: %v %v", one.Prefs(), err)
	}
	two, err := Open([]string{a, b})
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimPrefix(two.Prefs()[0], "tls.keylog_file:")
	got, err := os.ReadFile(path)
	if err != nil || string(got) != "CLIENT_RANDOM aa 11\nCLIENT_RANDOM bb 22\n\n" {
		t.Errorf("joined %q %v", got, err)
	}
	if left, _ := os.ReadDir(tmp); len(left) != 0 {
		t.Errorf("named in $TMPDIR: %v", left)
	}
	two.Close()

	missing := filepath.Join(dir, "nope.keys")
	for _, c := range []struct {
		paths []string
		bad   string
		is    error
	}{
		{[]string{a, missing}, missing, fs.ErrNotExist},
		{[]string{dir}, dir, nil},
	} {
		_, err := Open(c.paths)
		var ke *Error
		if !errors.As(err, &ke) || ke.Path != c.bad || (c.is != nil && !errors.Is(err, c.is)) {
			t.Errorf("%v: err %v, want an *Error for %s", c.paths, err, c.bad)
		}
	}
}
