package tshark

import (
	"os"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

// sysProcAttr puts tshark in a process group of its own, so that one kill
// reaches every process a wrapper script started, and asks the kernel to
// SIGKILL tshark when pcapmeter dies without running any cleanup (SIGKILL,
// the OOM killer, a CI timeout). Pdeathsig fires when the thread that
// started the child exits; the Go runtime retires a thread only when a
// goroutine exits while locked to it, which nothing around Start does.
//
// A group of its own also takes tshark out of the terminal's foreground
// group: Ctrl-C reaches pcapmeter alone, which kills and reaps tshark itself
// (and Pdeathsig covers a pcapmeter that dies of the signal).
func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// group is tshark's process group (its id is tshark's pid). Linux lets us
// wait for the leader's exit without reaping it (WNOWAIT), so the group can
// be killed while its id is still reserved by the unreaped leader: the kill
// can never reach an unrelated process that got the id later.
type group struct {
	mu   sync.Mutex
	gone bool          // the leader exited and the group was killed
	done chan struct{} // closed when gone is set
}

func newGroup() *group { return &group{done: make(chan struct{})} }

// watch waits (in the background) for the leader to exit and then kills
// what is left of its group: a straggler holding tshark's stdout would
// otherwise keep the caller's read from ever seeing EOF, and would outlive
// pcapmeter.
func (g *group) watch(p *os.Process) {
	go func() {
		var info unix.Siginfo
		var err error
		for {
			err = unix.Waitid(unix.P_PID, p.Pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
			if err != unix.EINTR {
				break
			}
		}
		g.mu.Lock()
		if err == nil {
			killGroup(p.Pid)
		}
		g.gone = true
		g.mu.Unlock()
		close(g.done)
	}()
}

// kill is the context's Cancel: SIGKILL to the whole group, unless the
// leader has already exited (then the group is gone too).
func (g *group) kill(p *os.Process) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.gone {
		return os.ErrProcessDone
	}
	return killGroup(p.Pid)
}

// killGroup sends SIGKILL to process group pgid. A pgid of 0 or less would
// name the caller's own group or every process: never.
func killGroup(pgid int) error {
	if pgid <= 0 {
		return os.ErrInvalid
	}
	if err := syscall.Kill(-pgid, syscall.SIGKILL); err == syscall.ESRCH {
		return os.ErrProcessDone
	} else if err != nil {
		return err
	}
	return nil
}
