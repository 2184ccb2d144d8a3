package tshark

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// MinVersion is the oldest tshark pcapmeter accepts. 3.6 is the oldest
// release still shipped by a supported mainstream distribution (Ubuntu
// 22.04 LTS) and it has everything pcapmeter relies on: custom columns with
// "-T tabs", http.request_in, tcp.segment on reassembled PDUs and "-d"
// decode-as. The suite runs on 4.0 (Debian 12), whose HTTP behaviour is
// documented in README.md; older versions are refused rather than trusted
// with subtly different dissection.
var MinVersion = Version{3, 6, 0}

// CheckTimeout bounds `tshark --version` in Check. tshark loads every
// dissector before it prints its banner (~0.3 s idle); 30 s leaves room for
// a machine busy with many tsharks, and a timeout is reported as such, never
// as a missing tshark.
const CheckTimeout = 30 * time.Second

// InstallHint tells a user how to get tshark; it ends every "not found" and
// "too old" error.
const InstallHint = "install it with `sudo apt-get install tshark` (Debian/Ubuntu; or scripts/install-deps.sh), `dnf install wireshark-cli`, or `brew install wireshark`, or point --tshark / $TSHARK at the binary"

// NotFoundError says that no tshark binary could be found or started: the
// name is not on PATH, the file does not exist, is not executable, or is not
// a program the kernel can run. A binary that starts and then fails is a
// *VersionFailedError instead.
type NotFoundError struct {
	Path string // what was looked for
	Err  error
}

func (e *NotFoundError) Error() string {
	if errors.Is(e.Err, exec.ErrNotFound) || errors.Is(e.Err, os.ErrNotExist) {
		return fmt.Sprintf("tshark not found (%s: %v); %s", e.Path, e.Err, InstallHint)
	}
	// It exists but cannot be run: "not found" would send the user looking
	// for a file that is right there.
	return fmt.Sprintf("cannot run tshark %s (%v); make it executable or %s", e.Path, e.Err, InstallHint)
}

func (e *NotFoundError) Unwrap() error { return e.Err }

// VersionFailedError says that `tshark --version` ran but failed without
// printing a version: the binary is not tshark (TSHARK=/bin/false) or is
// broken (a missing shared library, a crash).
type VersionFailedError struct {
	Path   string
	Code   int    // exit status, -1 if killed by a signal
	Signal string // the signal, when killed by one
	Stderr string // the first line tshark wrote on stderr, "" if none
}

func (e *VersionFailedError) Error() string {
	how := fmt.Sprintf("exit status %d", e.Code)
	if e.Signal != "" {
		how = "killed by " + e.Signal
	}
	msg := e.Stderr
	if msg == "" {
		msg = "no message"
	}
	return fmt.Sprintf("`%s --version` failed (%s: %s); --tshark / $TSHARK must name a working tshark %s or newer", e.Path, how, msg, MinVersion)
}

// NotTsharkError says that `PATH --version` succeeded but printed no tshark
// version.
type NotTsharkError struct {
	Path  string
	First string // the first line it printed
}

func (e *NotTsharkError) Error() string {
	return fmt.Sprintf("%s does not look like tshark: `--version` printed %q; --tshark / $TSHARK must name tshark %s or newer", e.Path, e.First, MinVersion)
}

// CheckTimeoutError says that `tshark --version` did not finish within the
// check's time limit. It is inconclusive (see Inconclusive): the binary may
// be a fine tshark on a machine too busy to start it in time.
type CheckTimeoutError struct {
	Path  string
	After time.Duration
}

func (e *CheckTimeoutError) Error() string {
	return fmt.Sprintf("`%s --version` did not answer within %v; the machine may be overloaded (try fewer --jobs), or --tshark / $TSHARK is not tshark", e.Path, e.After)
}

// TooOldError says that the tshark found is older than MinVersion.
type TooOldError struct {
	Path string
	Have Version
}

func (e *TooOldError) Error() string {
	return fmt.Sprintf("%s is tshark %s but pcapmeter needs %s or newer; %s", e.Path, e.Have, MinVersion, InstallHint)
}

// Locate returns the tshark to run: explicit (a --tshark flag) if set,
// else $TSHARK, else "tshark" on PATH.
func Locate(explicit string) (string, error) {
	name := explicit
	if name == "" {
		name = os.Getenv("TSHARK")
	}
	if name == "" {
		name = "tshark"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", &NotFoundError{Path: name, Err: err}
	}
	return path, nil
}

// Version is a tshark release number.
type Version struct{ Major, Minor, Patch int }

func (v Version) String() string { return fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch) }

// Less reports whether v is an older release than w.
func (v Version) Less(w Version) bool {
	if v.Major != w.Major {
		return v.Major < w.Major
	}
	if v.Minor != w.Minor {
		return v.Minor < w.Minor
	}
	return v.Patch < w.Patch
}

var versionRE = regexp.MustCompile(`(?m)^T[Ss]hark[^0-9\n]*?(\d+)\.(\d+)(?:\.(\d+))?`)

// ParseVersion extracts the version from the output of `tshark --version`,
// whose first line reads like "TShark (Wireshark) 4.0.17 (Git v4.0.17 ...)".
func ParseVersion(out string) (Version, error) {
	m := versionRE.FindStringSubmatch(out)
	if m == nil {
		return Version{}, fmt.Errorf("cannot read a tshark version from %q", firstOf(out))
	}
	var v Version
	v.Major, _ = strconv.Atoi(m[1])
	v.Minor, _ = strconv.Atoi(m[2])
	if m[3] != "" {
		v.Patch, _ = strconv.Atoi(m[3])
	}
	return v, nil
}

// Check runs `tshark --version` (for at most CheckTimeout) and verifies the
// version. See CheckWithin.
func Check(ctx context.Context, path string) (Version, error) {
	return CheckWithin(ctx, path, CheckTimeout)
}

// errCheckTimeout is the cause of the check's own deadline, which tells it
// apart from a deadline or cancellation of the caller's ctx.
var errCheckTimeout = errors.New("tshark --version timed out")

// CheckWithin runs `path --version`, for at most limit, and verifies the
// version. Old releases exit 1 on --version, so the exit status is ignored
// when the output parses. The errors are typed: *NotFoundError (cannot be
// started), *VersionFailedError (ran and failed), *NotTsharkError,
// *TooOldError, *CheckTimeoutError; when ctx ends first the error wraps
// ctx.Err(). In every case the process (and any child of it) is killed and
// reaped before CheckWithin returns.
func CheckWithin(ctx context.Context, path string, limit time.Duration) (Version, error) {
	cctx, cancel := context.WithTimeoutCause(ctx, limit, errCheckTimeout)
	defer cancel()
	p, err := Start(cctx, path, []string{"--version"}, nil)
	if err != nil {
		return Version{}, err
	}
	// The banner is a few kB; keep 64 kB and drain the rest so that a
	// program flooding stdout cannot block on a pipe nobody reads.
	out := &tailBuffer{max: 64 << 10}
	io.Copy(out, p.Stdout)
	werr := p.Wait()
	v, perr := ParseVersion(out.String())
	switch {
	case perr == nil && v.Less(MinVersion):
		return v, &TooOldError{Path: path, Have: v}
	case perr == nil:
		return v, nil
	case ctx.Err() != nil:
		return Version{}, fmt.Errorf("`%s --version`: %w", path, ctx.Err())
	case errors.Is(context.Cause(cctx), errCheckTimeout):
		return Version{}, &CheckTimeoutError{Path: path, After: limit}
	}
	var ee *ExitError
	if errors.As(werr, &ee) {
		return Version{}, &VersionFailedError{Path: path, Code: ee.Code, Signal: ee.Signal, Stderr: firstLine(ee.Stderr)}
	}
	if werr != nil {
		return Version{}, fmt.Errorf("`%s --version`: %w", path, werr)
	}
	return Version{}, &NotTsharkError{Path: path, First: firstOf(out.String())}
}

// Find locates tshark (explicit, else $TSHARK, else PATH) and checks its
// version: what every analysis does before its first run.
func Find(ctx context.Context, explicit string) (string, Version, error) {
	path, err := Locate(explicit)
	if err != nil {
		return "", Version{}, err
	}
	v, err := Check(ctx, path)
	return path, v, err
}

// Inconclusive reports whether a version-check error leaves the question
// open: the check timed out or its context ended. Such a verdict says
// nothing about the binary and must not replace a real error (see
// Verdict).
func Inconclusive(err error) bool {
	var te *CheckTimeoutError
	return errors.As(err, &te) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// Verdict picks the error that explains a run whose version check (run
// beside the dissection to save tshark's start-up time) returned checkErr
// and whose dissection returned runErr. A conclusive check failure (not
// found, failed, not tshark, too old) wins, since an unsupported tshark
// explains whatever the dissection hit. An inconclusive one (timeout,
// cancellation) never hides a real dissection error: on a machine too busy
// to answer --version in time, the dissection's own failure (an OOM-killed
// tshark, say) is the truth. With no dissection error, it is returned so
// that an unverified tshark's numbers are not reported as trusted.
func Verdict(checkErr, runErr error) error {
	switch {
	case checkErr == nil:
		return runErr
	case runErr != nil && Inconclusive(checkErr):
		return runErr
	}
	return checkErr
}

// firstOf returns the first non-blank line of s, trimmed.
func firstOf(s string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return strings.TrimSpace(first)
}
