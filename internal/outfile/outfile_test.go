package outfile

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"syscall"
	"testing"
	"time"
)

// childEnv makes the test binary create the output its value names, write
// to it, report "ready" and wait to be killed.
const childEnv = "PCAPMETER_OUTFILE_TEST_CHILD"

func TestMain(m *testing.M) {
	if path := os.Getenv(childEnv); path != "" {
		f, err := Create(path, nil)
		if err != nil {
			os.Stdout.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		f.Write([]byte("half a report"))
		os.Stdout.WriteString("ready\n")
		select {}
	}
	os.Exit(m.Run())
}

func write(t *testing.T, path, s string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
}

func read(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// dirNames lists dir, to catch temporary files left behind.
func dirNames(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, e := range es {
		out = append(out, e.Name())
	}
	return out
}

// TestRefusesInput: every spelling of an input as the output is refused
// before anything is written, and the capture is untouched.
func TestRefusesInput(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	capture := filepath.Join(dir, "w.pcap")
	write(t, capture, "capture bytes")
	os.Mkdir("sub", 0o755)
	os.Symlink("w.pcap", "link.pcap")
	os.Symlink("link.pcap", "chain.pcap")
	os.Link("w.pcap", "hard.pcap")
	for _, c := range []struct {
		out string
		in  []string
	}{
		{"w.pcap", []string{"w.pcap"}},
		{"./w.pcap", []string{"w.pcap"}},
		{capture, []string{"w.pcap"}},
		{"sub/../w.pcap", []string{capture}},
		{"link.pcap", []string{"w.pcap"}},
		{"chain.pcap", []string{"w.pcap"}},
		{"w.pcap", []string{"link.pcap"}},
		{"hard.pcap", []string{"w.pcap"}},
		{"w.pcap", []string{"missing.pcap", "w.pcap"}},
	} {
		inputs := c.in
		f, err := Create(c.out, inputs)
		var same *SameFileError
		if !errors.As(err, &same) || same.Output != c.out {
			t.Errorf("Create(%q, %v) = %v, want a SameFileError", c.out, inputs, err)
			if f != nil {
				f.Abort()
			}
		}
	}
	if got := read(t, capture); got != "capture bytes" {
		t.Errorf("capture now holds %q", got)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"chain.pcap", "hard.pcap", "link.pcap", "sub", "w.pcap"}) {
		t.Errorf("directory now holds %v", names)
	}
}

// TestStdoutIsInput: `pcapmeter tcp w.pcap >> w.pcap` is refused too, but
// a terminal or pipe that is both stdin and stdout is not.
func TestStdoutIsInput(t *testing.T) {
	capture := filepath.Join(t.TempDir(), "w.pcap")
	write(t, capture, "capture bytes")
	f, err := os.OpenFile(capture, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	saved := os.Stdout
	os.Stdout = f
	defer func() { os.Stdout = saved }()
	var same *SameFileError
	if _, err := Create("-", []string{capture}); !errors.As(err, &same) {
		t.Errorf("stdout appending to the input: %v", err)
	}
	r, w, _ := os.Pipe()
	defer r.Close()
	defer w.Close()
	os.Stdout = w
	savedIn := os.Stdin
	os.Stdin = r
	defer func() { os.Stdin = savedIn }()
	if _, err := Create("", []string{"-"}); err != nil {
		t.Errorf("a pipe as stdin and stdout: %v", err)
	}
}

func TestDistinct(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	write(t, "r.txt", "old")
	os.Symlink("r.txt", "l.txt")
	os.Symlink(".", "here")
	if err := Distinct("r.txt", "-", "", "r.svg", "-"); err != nil {
		t.Errorf("distinct outputs refused: %v", err)
	}
	for _, pair := range [][2]string{{"r.svg", "./r.svg"}, {"r.svg", "here/r.svg"}, {"r.txt", "l.txt"}, {"r.svg", filepath.Join(dir, "r.svg")}} {
		if err := Distinct(pair[0], pair[1]); err == nil {
			t.Errorf("Distinct(%q, %q) accepted", pair[0], pair[1])
		}
	}
}

// both runs f once with unnamed replacement files and once with the named
// fallback.
func both(t *testing.T, f func(t *testing.T)) {
	for _, named := range []bool{false, true} {
		name := "unnamed"
		if named {
			name = "named"
		}
		t.Run(name, func(t *testing.T) {
			forceNamed = named
			defer func() { forceNamed = false }()
			f(t)
		})
	}
}

// TestCommitReplaces: the target changes only at Commit, keeps its mode,
// and nothing else is left in its directory.
func TestCommitReplaces(t *testing.T) {
	both(t, func(t *testing.T) {
		dir := t.TempDir()
		target := filepath.Join(dir, "r.txt")
		write(t, target, "old report")
		os.Chmod(target, 0o640)
		f, err := Create(target, []string{"in.pcap"})
		if err != nil {
			t.Fatal(err)
		}
		defer f.Abort()
		f.Write([]byte("new report"))
		if got := read(t, target); got != "old report" {
			t.Errorf("before Commit the target holds %q", got)
		}
		if err := f.Commit(); err != nil {
			t.Fatal(err)
		}
		st, _ := os.Stat(target)
		if got := read(t, target); got != "new report" || st.Mode().Perm() != 0o640 {
			t.Errorf("after Commit: %q mode %v", got, st.Mode())
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"r.txt"}) {
			t.Errorf("directory holds %v", names)
		}
		if _, err := f.Write([]byte("more")); err == nil {
			t.Error("Write after Commit accepted")
		}
	})
}

// TestAbortKeepsOld: a failed run leaves an existing report intact, makes
// no file where there was none, and leaves no temporary file.
func TestAbortKeepsOld(t *testing.T) {
	both(t, func(t *testing.T) {
		dir := t.TempDir()
		old := filepath.Join(dir, "r.txt")
		write(t, old, "old report")
		for _, target := range []string{old, filepath.Join(dir, "new.txt")} {
			f, err := Create(target, nil)
			if err != nil {
				t.Fatal(err)
			}
			f.Write([]byte("half a report"))
			if err := f.Abort(); err != nil {
				t.Errorf("Abort: %v", err)
			}
			f.Abort() // twice is harmless
		}
		if got := read(t, old); got != "old report" {
			t.Errorf("old report now %q", got)
		}
		if names := dirNames(t, dir); !slices.Equal(names, []string{"r.txt"}) {
			t.Errorf("directory holds %v", names)
		}
	})
}

// TestSymlinkTarget: writing through a symlink replaces the file it points
// to and leaves the link a link.
func TestSymlinkTarget(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	os.Mkdir("reports", 0o755)
	write(t, "reports/real.txt", "old")
	os.Symlink("reports/real.txt", "r.txt")
	f, err := Create("r.txt", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("new"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	st, _ := os.Lstat("r.txt")
	if got := read(t, "reports/real.txt"); got != "new" || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("real.txt %q, r.txt mode %v", got, st.Mode())
	}
}

// TestUnwritable: destinations that cannot be written fail at Create,
// before any work, with an error naming the output.
func TestUnwritable(t *testing.T) {
	dir := t.TempDir()
	write(t, filepath.Join(dir, "f"), "")
	cases := map[string]string{
		"a directory":       dir,
		"a missing dir":     filepath.Join(dir, "no", "r.txt"),
		"below a file":      filepath.Join(dir, "f", "r.txt"),
		"a read-only fs":    "/sys/fs/pcapmeter-r.txt",
		"a FIFO, no reader": filepath.Join(dir, "fifo"),
	}
	if err := syscall.Mkfifo(cases["a FIFO, no reader"], 0o600); err != nil {
		t.Fatal(err)
	}
	if os.Geteuid() != 0 {
		// Root ignores permission bits; sysfs refuses even root.
		ro := filepath.Join(dir, "ro")
		os.Mkdir(ro, 0o555)
		cases["a read-only dir"] = filepath.Join(ro, "r.txt")
		write(t, filepath.Join(dir, "ro.txt"), "old")
		os.Chmod(filepath.Join(dir, "ro.txt"), 0o444)
		cases["a read-only file"] = filepath.Join(dir, "ro.txt")
	}
	for name, path := range cases {
		done := make(chan error, 1)
		go func() {
			f, err := Create(path, nil)
			if err == nil {
				f.Abort()
			}
			done <- err
		}()
		select {
		case err := <-done:
			var oe *Error
			if !errors.As(err, &oe) || oe.Path != path {
				t.Errorf("%s: Create(%s) = %v, want an *Error for it", name, path, err)
			}
		case <-time.After(5 * time.Second):
			t.Fatalf("%s: Create(%s) hangs", name, path)
		}
	}
}

// TestDevice: /dev/null is written in place, not replaced by a regular
// file (which, run as root, would break every program using it).
func TestDevice(t *testing.T) {
	f, err := Create("/dev/null", nil)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte("report"))
	if err := f.Commit(); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat("/dev/null"); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("/dev/null is now %v %v", st.Mode(), err)
	}
}

// TestSIGKILLLeavesOldReport: a run killed while writing leaves the old
// report intact and nothing else, where unnamed files are supported.
func TestSIGKILLLeavesOldReport(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "r.txt")
	write(t, target, "old report")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), childEnv+"="+target)
	out, _ := cmd.StdoutPipe()
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, _ := bufio.NewReader(out).ReadString('\n')
	cmd.Process.Kill()
	cmd.Wait()
	if line != "ready\n" {
		t.Fatalf("child: %q", line)
	}
	if got := read(t, target); got != "old report" {
		t.Errorf("report now %q", got)
	}
	if names := dirNames(t, dir); !slices.Equal(names, []string{"r.txt"}) {
		t.Errorf("directory holds %v", names)
	}
}
