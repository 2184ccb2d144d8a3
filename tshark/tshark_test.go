package tshark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/pcapmeter/pcapmeter/internal/faketshark"
)

func TestMain(m *testing.M) {
	faketshark.Main()
	actAsParent()
	os.Exit(m.Run())
}

// parentEnv makes the test binary act as a pcapmeter that starts a fake
// tshark (in the mode the variable names) and then waits to be killed.
const parentEnv = "PCAPMETER_TSHARK_TEST_PARENT"

// actAsParent is called from TestMain; it returns when parentEnv is unset.
func actAsParent() {
	mode := os.Getenv(parentEnv)
	if mode == "" {
		return
	}
	os.Setenv(faketshark.Env, mode) // for the child only: Env() passes it on
	p, err := Start(context.Background(), os.Args[0], []string{"-r", "x"}, nil)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	io.Copy(io.Discard, p.Stdout)
	p.Wait()
	os.Exit(0)
}

func self(t *testing.T, mode string) string {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(faketshark.Env, mode)
	// A race-enabled binary sleeps 1 s at a successful exit (the race
	// runtime's atexit_sleep_ms) unless told not to.
	t.Setenv("GORACE", "atexit_sleep_ms=0")
	return exe
}

func TestParseVersion(t *testing.T) {
	cases := map[string]Version{
		"TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).\n\nCopyright": {4, 0, 17},
		"TShark (Wireshark) 3.6.2 (Git v3.6.2 packaged as 3.6.2-2)":                          {3, 6, 2},
		"TShark 1.12.1 (Git Rev Unknown from unknown)":                                       {1, 12, 1},
		"Running as user \"root\"\nTShark (Wireshark) 4.2.0.":                                {4, 2, 0},
	}
	for in, want := range cases {
		got, err := ParseVersion(in)
		if err != nil || got != want {
			t.Errorf("ParseVersion(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	if _, err := ParseVersion("Wireshark 4.0.17"); err == nil {
		t.Error("accepted a non-tshark banner")
	}
	if !(Version{3, 4, 9}).Less(MinVersion) || (Version{4, 0, 0}).Less(MinVersion) || MinVersion.Less(MinVersion) {
		t.Error("Less is wrong around MinVersion")
	}
}

func TestArgs(t *testing.T) {
	got, err := Args(Spec{Input: "in.pcap", Fields: []string{"frame.number", "http.request.method"}, Mode: Columns,
		DisplayFilter: "http", HTTPPorts: []uint16{6000}, Prefs: []string{"tcp.reassemble_out_of_order:TRUE"}})
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Join(got, " ")
	for _, want := range []string{
		"-n -r in.pcap", "-d tcp.port==6000,http", "-Y http", "-T tabs",
		`gui.column.format:"frame.number","%Cus:frame.number","http.request.method","%Cus:http.request.method"`,
		"-o tcp.analyze_sequence_numbers:TRUE", "-o tcp.reassemble_out_of_order:TRUE",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("args %q lack %q", s, want)
		}
	}
	if slices.Contains(got, "-2") {
		t.Error("two-pass without asking")
	}
	got, _ = Args(Spec{Input: "-", Fields: []string{"ip.src"}, Mode: Fields, TwoPass: true})
	s = strings.Join(got, " ")
	if !strings.Contains(s, "-T fields -E header=y -E separator=/t") || !strings.Contains(s, "-e ip.src") || !slices.Contains(got, "-2") {
		t.Errorf("fields args %q", s)
	}
	for _, bad := range []Spec{
		{Fields: []string{"ip.src"}},
		{Input: "x"},
		{Input: "x", Fields: []string{`ip.src","%Cus:evil`}},
		{Input: "x", Fields: []string{"ip.src"}, HTTPPorts: []uint16{0}},
	} {
		if _, err := Args(bad); err == nil {
			t.Errorf("Args(%+v) accepted", bad)
		}
	}
}

func TestServerFilter(t *testing.T) {
	cases := []struct {
		addr string
		port uint16
		want string
	}{
		{"10.0.0.5", 8080, "ip.addr==10.0.0.5 && tcp.port==8080"},
		{"2001:db8::1", 80, "ipv6.addr==2001:db8::1 && tcp.port==80"},
		{"::ffff:10.0.0.5", 0, "ip.addr==10.0.0.5"},
		{"", 443, "tcp.port==443"},
		{"", 0, ""},
	}
	for _, c := range cases {
		var a netip.Addr
		if c.addr != "" {
			a = netip.MustParseAddr(c.addr)
		}
		if got := ServerFilter(a, c.port); got != c.want {
			t.Errorf("ServerFilter(%s, %d) = %q, want %q", c.addr, c.port, got, c.want)
		}
	}
}

func TestCheckVersions(t *testing.T) {
	ctx := context.Background()
	if v, err := Check(ctx, self(t, faketshark.Crash)); err != nil || v != (Version{4, 0, 17}) {
		t.Errorf("current: %v %v", v, err)
	}
	var old *TooOldError
	if _, err := Check(ctx, self(t, faketshark.Old)); !errors.As(err, &old) || old.Have != (Version{2, 6, 10}) {
		t.Errorf("old: %v", err)
	}
	if _, err := Check(ctx, self(t, faketshark.NotTshark)); err == nil || !strings.Contains(err.Error(), "does not look like tshark") {
		t.Errorf("not tshark: %v", err)
	}
	var nf *NotFoundError
	if _, err := Locate("/no/such/tshark"); !errors.As(err, &nf) || !strings.Contains(err.Error(), "apt-get install tshark") {
		t.Errorf("missing: %v", err)
	}
	t.Setenv("TSHARK", "/no/such/tshark-either")
	if _, err := Locate(""); !errors.As(err, &nf) {
		t.Errorf("$TSHARK missing: %v", err)
	}
}

func runFake(t *testing.T, mode string) (string, error) {
	t.Helper()
	p, err := Start(context.Background(), self(t, mode), []string{"-r", "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	out, _ := io.ReadAll(p.Stdout)
	return string(out), p.Wait()
}

func TestWaitClassifies(t *testing.T) {
	var ee *ExitError
	out, err := runFake(t, faketshark.Crash)
	if !errors.As(err, &ee) || ee.Signal == "" || out != faketshark.Row+faketshark.Row {
		t.Errorf("crash: %q %v", out, err)
	}
	_, err = runFake(t, faketshark.Fail)
	if !errors.As(err, &ee) || ee.Code != 1 || !strings.Contains(err.Error(), "could not be opened: boom") || strings.Contains(err.Error(), "Running as") {
		t.Errorf("fail: %v", err)
	}
	var tr *TruncatedError
	out, err = runFake(t, faketshark.Truncated)
	if !errors.As(err, &tr) || out != faketshark.Row {
		t.Errorf("truncated: %q %v", out, err)
	}
}

// TestCancelKillsAndReaps: a hanging tshark is killed when the context is
// cancelled, Wait returns promptly, and no process is left behind.
func TestCancelKillsAndReaps(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, self(t, faketshark.Hang), []string{"-r", "x"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, len(faketshark.Row))
	if _, err := io.ReadFull(p.Stdout, buf); err != nil {
		t.Fatal(err)
	}
	pid := p.cmd.Process.Pid
	cancel()
	done := make(chan error, 1)
	go func() { done <- p.Wait() }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Wait did not return after cancel")
	}
	if err := syscall.Kill(pid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("process %d still exists after Wait: %v", pid, err)
	}
}

func TestTailBufferBounded(t *testing.T) {
	b := &tailBuffer{max: 100}
	b.Write([]byte("first complaint\n"))
	for i := 0; i < 1000; i++ {
		b.Write([]byte("noise noise noise\n"))
	}
	b.Write([]byte("last words\n"))
	s := b.String()
	if len(s) > 200 || !strings.HasPrefix(s, "first complaint") || !strings.HasSuffix(s, "last words\n") {
		t.Errorf("tail buffer: %q", s)
	}
}

func FuzzParseVersion(f *testing.F) {
	f.Add("TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).")
	f.Add("TShark 1.12.1")
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseVersion(s)
		if err == nil && (v.Major < 0 || v.Minor < 0 || v.Patch < 0) {
			t.Fatalf("%q gave %v", s, v)
		}
	})
}
