package config

import (
	"os"
	"path/filepath"
	"runtime"
)

// Where the agent keeps its files when installed as a service. The config
// file sits at the platform's place for machine-wide settings; the data
// directory (outbox and agent.log) is beside it on Windows and under
// /var/lib on Linux, where the filesystem hierarchy puts variable state.
const (
	LinuxPath    = "/etc/stolik/agent.yaml"
	LinuxDataDir = "/var/lib/stolik"
)

// DefaultPath returns the config file used when no --config is given:
// %ProgramData%\Stolik\agent.yaml on Windows, /etc/stolik/agent.yaml on
// Linux, and agent.yaml in the working directory elsewhere.
func DefaultPath() string {
	switch runtime.GOOS {
	case "windows":
		return filepath.Join(programData(), "Stolik", "agent.yaml")
	case "linux":
		return LinuxPath
	}
	return "agent.yaml"
}

func programData() string {
	if d := os.Getenv("ProgramData"); d != "" {
		return d
	}
	return `C:\ProgramData`
}

// Template returns the commented config file that enrollment starts from
// and that the packages for goos install. Its data_dir is the platform's
// data directory; the hub section is filled in by enrollment.
func Template(goos string) string {
	dataDir := "data               # beside this file"
	if goos == "linux" {
		dataDir = LinuxDataDir
	}
	return `# Stolik agent configuration (format version 1).
# After a change: stolik-agent check, then stolik-agent restart.
version: 1

hub:
  # Written by: stolik-agent enroll --hub URL --code CODE
  urls: []
  agent_id: ""
  secret: ""

# The outbox (outbox.db) and the rotating log (agent.log) live here.
data_dir: ` + dataDir + `

log:
  level: info      # debug, info, warn or error
  max_size_mb: 10  # rotate agent.log at this size
  max_files: 5     # rotated files kept

# How often the RMS is read.
poll_interval: 5s

# Which RMS to read. This release has only "sim", a simulated venue for
# trying Stolik out: do not leave it on a real restaurant's agent.
connector:
  kind: sim
`
}
