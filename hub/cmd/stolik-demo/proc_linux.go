package main

import (
	"os"
	"syscall"
)

// childAttr puts a child in its own process group, so that a Ctrl-C at
// the terminal reaches the demo only and the demo stops the child itself,
// and has the kernel kill it if the demo dies without stopping it.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// signalGroup sends sig to the child's process group: the child and
// anything it started.
func signalGroup(p *os.Process, sig syscall.Signal) {
	if err := syscall.Kill(-p.Pid, sig); err != nil {
		_ = p.Signal(sig)
	}
}
