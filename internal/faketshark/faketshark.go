// Package faketshark lets a test binary stand in for tshark, to inject the
// faults the real one will not produce on demand: a crash, garbage output,
// a hang (also on --version), an ancient version, a process that ignores
// SIGTERM, and a wrapper whose children would survive a kill of tshark
// alone. A test package calls Main from TestMain; when
// the binary is re-executed with PCAPMETER_FAKE_TSHARK set it behaves as
// told and exits instead of running tests.
package faketshark

import (
	"fmt"
	"os"
	"os/exec"
	"os/signal"

	"github.com/pcapmeter/pcapmeter/internal/http1"
	"strings"
	"syscall"
	"time"
)

// Env is the variable that selects the fault.
const Env = "PCAPMETER_FAKE_TSHARK"

// PIDFile, if set, names a file the fake writes its process id to, so a
// test can check that the process was reaped. In the Spawn and Orphan modes
// the file lists the fake and then its child, one per line (ReadPIDs). The
// file appears complete or not at all (it is renamed into place), so a test
// polling it never reads half a number.
const PIDFile = "PCAPMETER_FAKE_TSHARK_PIDFILE"

// Modes understood by Main.
const (
	Crash     = "crash"     // a few rows, then death by a signal
	Fail      = "fail"      // exit 1 with an error message
	Garbage   = "garbage"   // text that is not tshark rows, exit 0
	Hang      = "hang"      // one row, then hang until killed
	Truncated = "truncated" // rows, then the cut-short message, exit 2
	Old       = "old"       // reports version 2.6.10 (and dissects: one row)
	NotTshark = "nottshark" // --version prints something else
	// HangVersion hangs on --version, as a tshark on a machine too loaded
	// to start does, after starting a child as Spawn does (PIDFile lists
	// both): a check that kills the fake alone leaves the child behind.
	HangVersion = "hangversion"
	// IgnoreTerm ignores SIGTERM, prints one row and hangs: only SIGKILL
	// stops it.
	IgnoreTerm = "ignoreterm"
	// Spawn starts a child, as a wrapper script running tshark without
	// exec does, prints one row and hangs. The child stays in the fake's
	// process group, shares its stdout and stderr, and survives a kill of
	// the fake alone, keeping the pipes open.
	Spawn = "spawn"
	// Orphan starts such a child, prints one row and exits 0, leaving the
	// child behind.
	Orphan = "orphan"
	// SpawnQuiet starts such a child and hangs without printing: a tshark
	// still reading, for a test of any analysis (whose rows differ).
	SpawnQuiet = "spawnquiet"
	// sleeper is the child of Spawn and Orphan.
	sleeper = "sleeper"
)

// Row is a well-formed row of pcapmeter's HTTP columns: a SYN.
var Row = "1\t1700000000.000000000\t10.0.0.1\t\t10.0.0.2\t\t40000\t80\t0\t0\t0\t0\t0x002" +
	strings.Repeat("\t", len(http1.Fields)-13) + "\n"

// synValues are Row's values by field, for a run that asks for other
// columns (the shards' tsharks print http1.JoinFields).
var synValues = map[string]string{
	"frame.number": "1", "frame.time_epoch": "1700000000.000000000", "ip.src": "10.0.0.1", "ip.dst": "10.0.0.2",
	"tcp.srcport": "40000", "tcp.dstport": "80", "tcp.stream": "0", "tcp.len": "0", "tcp.seq": "0", "tcp.ack": "0",
	"tcp.flags": "0x002",
}

// rowFor is Row in the columns args ask for (custom columns or -e
// fields); Row itself when they name none.
func rowFor(args []string) string {
	var fields []string
	for i, a := range args {
		switch {
		case a == "-e" && i+1 < len(args):
			fields = append(fields, args[i+1])
		case strings.HasPrefix(a, "gui.column.format:"):
			for _, part := range strings.Split(strings.TrimPrefix(a, "gui.column.format:"), ",") {
				if f, ok := strings.CutPrefix(strings.Trim(part, `"`), "%Cus:"); ok {
					fields = append(fields, f)
				}
			}
		}
	}
	if len(fields) == 0 {
		return Row
	}
	vals := make([]string, len(fields))
	for i, f := range fields {
		vals[i] = synValues[f]
	}
	return strings.Join(vals, "\t") + "\n"
}

// headerFor is the header line -T fields prints first ("" otherwise).
func headerFor(args []string) string {
	var fields []string
	fieldsMode := false
	for i, a := range args {
		switch {
		case a == "-e" && i+1 < len(args):
			fields = append(fields, args[i+1])
		case a == "fields" && i > 0 && args[i-1] == "-T":
			fieldsMode = true
		}
	}
	if !fieldsMode {
		return ""
	}
	return strings.Join(fields, "\t") + "\n"
}

// Main acts as tshark when Env is set, and returns otherwise.
func Main() {
	mode := os.Getenv(Env)
	switch mode {
	case "":
		return
	case sleeper:
		time.Sleep(time.Hour)
		os.Exit(0)
	}
	for _, a := range os.Args[1:] {
		if a == "--version" {
			switch mode {
			case HangVersion:
				spawn()
				time.Sleep(time.Hour)
			case Old:
				fmt.Println("TShark (Wireshark) 2.6.10 (Git v2.6.10 packaged as 2.6.10-1)")
				os.Exit(1)
			case NotTshark:
				fmt.Println("this is not the program you are looking for")
				os.Exit(0)
			}
			fmt.Println("TShark (Wireshark) 4.0.17 (Git v4.0.17 packaged as 4.0.17-0+deb12u3).")
			os.Exit(0)
		}
	}
	fmt.Fprintln(os.Stderr, `Running as user "root" and group "root". This could be dangerous.`)
	row := rowFor(os.Args[1:])
	switch mode {
	case Spawn, Orphan, SpawnQuiet:
		spawn()
	default:
		writePIDs(os.Getpid())
	}
	switch mode {
	case Crash:
		fmt.Print(row, row)
		// Die of a signal, as a crashing C program does (the Go runtime
		// would turn SIGSEGV into an exit status).
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Minute)
	case Fail:
		fmt.Fprintln(os.Stderr, `tshark: The file "x" could not be opened: boom.`)
		os.Exit(1)
	case Garbage:
		fmt.Println("<html><body>definitely not tshark rows</body></html>")
		os.Exit(0)
	case Hang, Spawn:
		fmt.Print(row)
		os.Stdout.Sync()
		time.Sleep(time.Hour)
	case SpawnQuiet:
		time.Sleep(time.Hour)
	case IgnoreTerm:
		signal.Ignore(syscall.SIGTERM)
		fmt.Print(row)
		os.Stdout.Sync()
		time.Sleep(time.Hour)
	case Orphan:
		fmt.Print(row)
		os.Exit(0)
	case Old:
		fmt.Print(headerFor(os.Args[1:]), row)
	case Truncated:
		fmt.Print(row)
		fmt.Fprintln(os.Stderr, `tshark: The file "x" appears to have been cut short in the middle of a packet.`)
		os.Exit(2)
	}
	os.Exit(0)
}

// spawn starts the sleeper child on the fake's own stdout and stderr, in the
// fake's process group, and records both pids.
func spawn() {
	exe, err := os.Executable()
	if err != nil {
		fmt.Fprintln(os.Stderr, "tshark: fake:", err)
		os.Exit(1)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), Env+"="+sleeper)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	if err := cmd.Start(); err != nil {
		fmt.Fprintln(os.Stderr, "tshark: fake:", err)
		os.Exit(1)
	}
	writePIDs(os.Getpid(), cmd.Process.Pid)
}

// writePIDs writes pids to PIDFile, if set, one per line without a final
// newline (a lone pid reads as a plain number), through a rename so that a
// reader sees all of it or nothing.
func writePIDs(pids ...int) {
	f := os.Getenv(PIDFile)
	if f == "" {
		return
	}
	var b strings.Builder
	for i, p := range pids {
		if i > 0 {
			b.WriteByte('\n')
		}
		fmt.Fprint(&b, p)
	}
	tmp := fmt.Sprintf("%s.%d.tmp", f, os.Getpid())
	if os.WriteFile(tmp, []byte(b.String()), 0o644) == nil {
		os.Rename(tmp, f)
	}
}

// ReadPIDs returns the pids in a PIDFile, nil until it exists.
func ReadPIDs(path string) []int {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		var p int
		if _, err := fmt.Sscan(f, &p); err == nil && p > 0 {
			pids = append(pids, p)
		}
	}
	return pids
}
