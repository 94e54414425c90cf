package service

import (
	"io"
	"log/slog"
	"path/filepath"

	"gopkg.in/natefinch/lumberjack.v2"

	"github.com/stolik/stolik/agent/config"
)

// LogFile is the agent's log in its data directory. It is rotated at
// log.max_size_mb; log.max_files rotated copies are kept beside it, named
// agent-<time>.log.
const LogFile = "agent.log"

// OpenLogger returns the agent's logger at the config's level. It writes to
// LogFile in the data directory, rotated and bounded by the config, and
// also to stderr when that is not nil. The returned func closes the file.
func OpenLogger(c config.Config, stderr io.Writer) (*slog.Logger, func()) {
	file := &lumberjack.Logger{
		Filename:   filepath.Join(c.DataDir, LogFile),
		MaxSize:    c.Log.MaxSizeMB,
		MaxBackups: c.Log.MaxFiles,
	}
	var w io.Writer = file
	if stderr != nil {
		w = fanout{stderr, file}
	}
	var level slog.Level
	_ = level.UnmarshalText([]byte(c.Log.Level)) // validated by config.Load
	log := slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
	return log, func() { _ = file.Close() }
}

// fanout writes to every writer, whatever the others do: a closed terminal
// must not silence the file, nor a full disk the terminal.
type fanout []io.Writer

func (f fanout) Write(b []byte) (int, error) {
	for _, w := range f {
		_, _ = w.Write(b)
	}
	return len(b), nil
}
