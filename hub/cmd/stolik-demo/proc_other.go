//go:build !linux

package main

import (
	"os"
	"syscall"
)

// childAttr leaves a child in the demo's process group where process
// groups are not handled here (the demo is made for Linux).
func childAttr() *syscall.SysProcAttr { return nil }

// signalGroup sends sig to the child alone; SIGKILL kills it.
func signalGroup(p *os.Process, sig syscall.Signal) {
	if sig == syscall.SIGKILL {
		_ = p.Kill()
		return
	}
	_ = p.Signal(sig)
}
