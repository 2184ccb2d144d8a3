// Package faketshark lets a test binary stand in for tshark, to inject the
// faults the real one will not produce on demand: a crash, garbage output,
// a hang, an ancient version. A test package calls Main from TestMain; when
// the binary is re-executed with PCAPMETER_FAKE_TSHARK set it behaves as
// told and exits instead of running tests.
package faketshark

import (
	"fmt"
	"os"

	"github.com/pcapmeter/pcapmeter/internal/http1"
	"strings"
	"syscall"
	"time"
)

// Env is the variable that selects the fault.
const Env = "PCAPMETER_FAKE_TSHARK"

// PIDFile, if set, names a file the fake writes its process id to, so a
// test can check that the process was reaped.
const PIDFile = "PCAPMETER_FAKE_TSHARK_PIDFILE"

// Modes understood by Main.
const (
	Crash     = "crash"     // a few rows, then death by a signal
	Fail      = "fail"      // exit 1 with an error message
	Garbage   = "garbage"   // text that is not tshark rows, exit 0
	Hang      = "hang"      // one row, then hang until killed
	Truncated = "truncated" // rows, then the cut-short message, exit 2
	Old       = "old"       // reports version 2.6.10
	NotTshark = "nottshark" // --version prints something else
)

// Row is a well-formed row of pcapmeter's HTTP columns: a SYN.
var Row = "1\t1700000000.000000000\t10.0.0.1\t\t10.0.0.2\t\t40000\t80\t0\t0\t0\t0\t0x002" +
	strings.Repeat("\t", len(http1.Fields)-13) + "\n"

// Main acts as tshark when Env is set, and returns otherwise.
func Main() {
	mode := os.Getenv(Env)
	if mode == "" {
		return
	}
	for _, a := range os.Args[1:] {
		if a == "--version" {
			switch mode {
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
	if f := os.Getenv(PIDFile); f != "" {
		os.WriteFile(f, []byte(fmt.Sprint(os.Getpid())), 0o644)
	}
	switch mode {
	case Crash:
		fmt.Print(Row, Row)
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
	case Hang:
		fmt.Print(Row)
		os.Stdout.Sync()
		time.Sleep(time.Hour)
	case Truncated:
		fmt.Print(Row)
		fmt.Fprintln(os.Stderr, `tshark: The file "x" appears to have been cut short in the middle of a packet.`)
		os.Exit(2)
	}
	os.Exit(0)
}
