//go:build unix && !linux

package tshark

import (
	"os"
	"syscall"
)

// sysProcAttr puts tshark in a process group of its own, so that one kill
// reaches every process a wrapper script started. There is no Pdeathsig
// here: a pcapmeter killed by SIGKILL leaves tshark to die of SIGPIPE on its
// next write.
func sysProcAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }

// group is tshark's process group. Without a way to wait for the leader
// without reaping it, the group is killed only on cancel.
type group struct{ done chan struct{} }

func newGroup() *group {
	g := &group{done: make(chan struct{})}
	close(g.done)
	return g
}

func (g *group) watch(*os.Process) {}

// kill is the context's Cancel: SIGKILL to the whole group. The leader may
// already have been reaped when it runs; its id is reused only after a full
// cycle of the pid space, and only a process that made itself a group
// leader could be hit.
func (g *group) kill(p *os.Process) error {
	if p.Pid <= 0 {
		return os.ErrInvalid
	}
	if err := syscall.Kill(-p.Pid, syscall.SIGKILL); err == syscall.ESRCH {
		return os.ErrProcessDone
	} else if err != nil {
		return err
	}
	return nil
}
