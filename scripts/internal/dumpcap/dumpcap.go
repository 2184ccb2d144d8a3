// Package dumpcap records loopback traffic with Wireshark's dumpcap for the
// recording scripts. A recorder starts a capture before its server answers
// anything and stops it after the last byte, so the capture holds whole
// connections.
package dumpcap

import (
	"bufio"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Capture is a running dumpcap.
type Capture struct {
	cmd     *exec.Cmd
	stopped bool
}

// Start runs dumpcap on iface with the capture filter and returns once
// dumpcap says it is capturing (plus a short settle, since the first
// packets after that line were seen to be missed otherwise).
func Start(iface, filter, out string) (*Capture, error) {
	cmd := exec.Command("dumpcap", "-i", iface, "-f", filter, "-w", out, "-q")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start dumpcap: %w", err)
	}
	ready := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(stderr)
		var once sync.Once
		for sc.Scan() {
			if strings.Contains(sc.Text(), "Capturing on") {
				once.Do(func() { close(ready) })
			}
		}
		once.Do(func() { close(ready) })
	}()
	select {
	case <-ready:
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		return nil, fmt.Errorf("dumpcap did not start within 10 s")
	}
	time.Sleep(300 * time.Millisecond)
	return &Capture{cmd: cmd}, nil
}

// Stop waits a moment for the last packets to be written, then stops
// dumpcap with SIGINT (it finishes the file) and waits for it.
func (c *Capture) Stop() error {
	if c.stopped {
		return nil
	}
	c.stopped = true
	time.Sleep(500 * time.Millisecond)
	if err := c.cmd.Process.Signal(syscall.SIGINT); err != nil {
		return fmt.Errorf("stop dumpcap: %w", err)
	}
	err := c.cmd.Wait()
	var ee *exec.ExitError
	if err != nil && !errors.As(err, &ee) {
		return fmt.Errorf("dumpcap: %w", err)
	}
	return nil
}

// Abort kills a capture that was not stopped (a recorder that failed half
// way must not leave dumpcap running); after Stop it does nothing.
func (c *Capture) Abort() {
	if c.stopped {
		return
	}
	c.stopped = true
	c.cmd.Process.Kill()
	c.cmd.Wait()
}
