//go:build !linux && !windows

package service

import (
	"path/filepath"

	ksvc "github.com/kardianos/service"
)

// SystemConfig describes the agent's service to kardianos/service.
func SystemConfig(configPath string) *ksvc.Config {
	if abs, err := filepath.Abs(configPath); err == nil {
		configPath = abs
	}
	return &ksvc.Config{
		Name: Name, DisplayName: DisplayName, Description: Description,
		Arguments: []string{"run", "--service", "--config", configPath},
		Option:    ksvc.KeyValue{},
	}
}

// CheckInstall has nothing to check on this system.
func CheckInstall(string) error { return nil }

// StartedByManager reports false: here the unit passes run --service.
func StartedByManager() bool { return false }

func prepareManaged(*Program) {}

func fatal(*Program) {}
