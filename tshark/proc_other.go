//go:build !unix

package tshark

import (
	"os"
	"syscall"
)

// sysProcAttr has nothing to add where there are no process groups.
func sysProcAttr() *syscall.SysProcAttr { return nil }

// group stands for tshark alone where there are no process groups.
type group struct{ done chan struct{} }

func newGroup() *group {
	g := &group{done: make(chan struct{})}
	close(g.done)
	return g
}

func (g *group) watch(*os.Process) {}

func (g *group) kill(p *os.Process) error { return p.Kill() }
