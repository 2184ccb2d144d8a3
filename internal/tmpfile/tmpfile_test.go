//go:build linux

package tmpfile

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// childEnv makes the test binary create a temporary file with New, report
// "ready" on stdout and wait to be killed; its value "named" forces the
// fallback.
const childEnv = "PCAPMETER_TMPFILE_TEST_CHILD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(childEnv); mode != "" {
		noUnnamed = mode == "named"
		f, err := New("")
		if err != nil {
			os.Stdout.WriteString(err.Error() + "\n")
			os.Exit(1)
		}
		f.Write(bytes.Repeat([]byte("spill "), 1<<16))
		os.Stdout.WriteString("ready\n")
		select {}
	}
	os.Exit(m.Run())
}

func entries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

// TestSIGKILLLeavesNothing: a process killed with SIGKILL while holding a
// temporary file leaves nothing in $TMPDIR, in both ways of creating it;
// nothing is visible there while it runs either.
func TestSIGKILLLeavesNothing(t *testing.T) {
	for _, mode := range []string{"unnamed", "named"} {
		t.Run(mode, func(t *testing.T) {
			dir := t.TempDir()
			exe, err := os.Executable()
			if err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(exe, "-test.run=^$")
			cmd.Env = append(os.Environ(), childEnv+"="+mode, "TMPDIR="+dir)
			out, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(out).ReadString('\n')
			if line != "ready\n" {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatalf("child: %q", line)
			}
			if names := entries(t, dir); len(names) != 0 {
				t.Errorf("while running: %v in $TMPDIR", names)
			}
			cmd.Process.Kill()
			cmd.Wait()
			if names := entries(t, dir); len(names) != 0 {
				t.Errorf("after SIGKILL: %v left in $TMPDIR", names)
			}
		})
	}
}

// TestReopenByPath: a second reader opened by Path starts at the beginning
// whatever the first one's offset, as tshark and the splitter need.
func TestReopenByPath(t *testing.T) {
	for _, named := range []bool{false, true} {
		noUnnamed = named
		f, err := New(t.TempDir())
		noUnnamed = false
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString("capture bytes")
		g, err := os.Open(Path(f))
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(g)
		g.Close()
		if string(b) != "capture bytes" {
			t.Errorf("named=%v: reopened file reads %q", named, b)
		}
		if off, _ := f.Seek(0, io.SeekCurrent); off != 13 {
			t.Errorf("named=%v: the original's offset moved to %d", named, off)
		}
		f.Close()
	}
}

// TestLink: an unnamed file gets its name only when linked, with the
// permission bits asked for, and never over an existing file.
func TestLink(t *testing.T) {
	dir := t.TempDir()
	f, err := Linkable(dir, 0o640)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	f.WriteString("report")
	if names := entries(t, dir); len(names) != 0 {
		t.Fatalf("unnamed file visible: %v", names)
	}
	dst := filepath.Join(dir, "r.txt")
	if err := Link(f, dst); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dst)
	st, _ := os.Stat(dst)
	if string(b) != "report" || err != nil || st.Mode().Perm() != 0o640&^umask(t) {
		t.Errorf("linked file: %q %v %v", b, err, st.Mode())
	}
	if err := Link(f, dst); !os.IsExist(err) {
		t.Errorf("second link over an existing name: %v", err)
	}
}

// umask reads the process umask from /proc (setting it to read it would
// race with other tests creating files).
func umask(t *testing.T) os.FileMode {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		t.Fatal(err)
	}
	var m uint32
	for _, line := range bytes.Split(b, []byte("\n")) {
		if v, ok := bytes.CutPrefix(line, []byte("Umask:\t")); ok {
			for _, c := range v {
				m = m*8 + uint32(c-'0')
			}
		}
	}
	return os.FileMode(m)
}
