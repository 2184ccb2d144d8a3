package input

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
)

func touch(t *testing.T, path string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(filepath.Base(path)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestExpand: quoted patterns expand in name order (dumpcap's ring order),
// existing names and "-" are never patterns, and an empty match is an
// error.
func TestExpand(t *testing.T) {
	dir := t.TempDir()
	in := func(n string) string { return filepath.Join(dir, n) }
	for _, n := range []string{"ring_00003.pcapng", "ring_00001.pcapng", "ring_00002.pcapng", "a[b].pcap", "z.pcap"} {
		touch(t, in(n))
	}
	cases := []struct {
		args, want []string
		err        string
	}{
		{[]string{in("ring_*")}, []string{in("ring_00001.pcapng"), in("ring_00002.pcapng"), in("ring_00003.pcapng")}, ""},
		{[]string{in("z.pcap"), "-", in("ring_0000[12].pcapng")}, []string{in("z.pcap"), "-", in("ring_00001.pcapng"), in("ring_00002.pcapng")}, ""},
		{[]string{in("a[b].pcap")}, []string{in("a[b].pcap")}, ""},
		{[]string{in("gone.pcap")}, []string{in("gone.pcap")}, ""},
		{[]string{in("*.pcapx")}, nil, "no file matches"},
		{[]string{in("[z.pcap")}, nil, "invalid file pattern"},
	}
	for _, c := range cases {
		got, err := Expand(c.args)
		switch {
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("Expand(%q) error %v, want %q", c.args, err, c.err)
		case c.err == "" && (err != nil || !slices.Equal(got, c.want)):
			t.Errorf("Expand(%q) = %q, %v; want %q", c.args, got, err, c.want)
		}
	}
}

// TestUnique: one capture under two names is refused whatever the
// spelling; different captures with the same base name are not.
func TestUnique(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.Mkdir("a", 0o755)
	os.Mkdir("b", 0o755)
	touch(t, "wiki.pcap")
	touch(t, "a/x.pcap")
	touch(t, "b/x.pcap")
	os.Symlink("wiki.pcap", "link.pcap")
	os.Link("wiki.pcap", "hard.pcap")
	abs := filepath.Join(dir, "wiki.pcap")
	if err := Unique([]string{"a/x.pcap", "b/x.pcap", "wiki.pcap", "missing.pcap"}); err != nil {
		t.Errorf("distinct captures refused: %v", err)
	}
	for _, c := range []struct {
		files []string
		says  string
	}{
		{[]string{"wiki.pcap", abs}, "are the same capture"},
		{[]string{"wiki.pcap", "link.pcap"}, "are the same capture"},
		{[]string{"hard.pcap", "a/x.pcap", "wiki.pcap"}, "hard.pcap and wiki.pcap are the same capture"},
		{[]string{"a/x.pcap", "a//x.pcap"}, "given twice"},
		{[]string{"missing.pcap", "./missing.pcap"}, "given twice"},
	} {
		err := Unique(c.files)
		var de *DuplicateError
		if !errors.As(err, &de) || !strings.Contains(err.Error(), c.says) {
			t.Errorf("Unique(%q) = %v, want %q", c.files, err, c.says)
		}
	}
}

// TestNotRegular: a directory or a device gets its own line, and IsRegular
// tells a directory or a missing path from a file.
func TestNotRegular(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "f.pcap")
	touch(t, file)
	for arg, what := range map[string]string{dir: "is a directory", "/dev/null": "is a character device"} {
		_, err := Resolve(t.Context(), []string{arg})
		var nr *NotRegularError
		if !errors.As(err, &nr) || !strings.Contains(err.Error(), what) {
			t.Errorf("Resolve(%s) = %v, want %q", arg, err, what)
		}
	}
	link := filepath.Join(dir, "l.pcap")
	os.Symlink(file, link)
	fifo := filepath.Join(dir, "fifo")
	syscall.Mkfifo(fifo, 0o600)
	for path, want := range map[string]bool{file: true, link: true, dir: false, fifo: false, filepath.Join(dir, "none"): false} {
		if got := IsRegular(path); got != want {
			t.Errorf("IsRegular(%s) = %v", path, got)
		}
	}
}
