package main

import (
	"github.com/stolik/stolik/agent/service"
)

// report also writes a failed command's message to the Windows Event Log:
// the MSI runs enroll with no console, and its log keeps only the exit code.
func report(configPath string, err error) {
	s, serr := service.NewSystemService(configPath)
	if serr != nil {
		return
	}
	if l, lerr := s.SystemLogger(nil); lerr == nil {
		_ = l.Error("stolik-agent: " + err.Error())
	}
}
