package service_test

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stolik/stolik/agent/config"
	"github.com/stolik/stolik/agent/service"
)

// TestLogRotates: agent.log is rotated at log.max_size_mb and at most
// log.max_files rotated copies stay.
func TestLogRotates(t *testing.T) {
	dir := t.TempDir()
	c := config.Default()
	c.DataDir = dir
	c.Log = config.Log{Level: "info", MaxSizeMB: 1, MaxFiles: 2}
	var stderr bytes.Buffer
	log, closeLog := service.OpenLogger(c, &stderr)

	line := strings.Repeat("x", 1000)
	for range 5 * 1024 { // about 5 MB
		log.Info("filler", "text", line)
	}
	log.Debug("below the level")
	closeLog()

	waitFor(t, 5*time.Second, "rotated copies pruned to 2", func() bool {
		m, _ := filepath.Glob(filepath.Join(dir, "agent-*.log"))
		return len(m) == 2
	})
	files, _ := os.ReadDir(dir)
	var total int64
	for _, f := range files {
		fi, _ := f.Info()
		total += fi.Size()
		if fi.Size() > 1<<20 {
			t.Errorf("%s is %d bytes, over the 1 MB bound", f.Name(), fi.Size())
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s has mode %v, want 0600", f.Name(), fi.Mode().Perm())
		}
	}
	if len(files) != 3 || total > 3<<20 {
		t.Errorf("%d files, %d bytes; want agent.log and two rotated copies", len(files), total)
	}
	if stderr.Len() < 5<<20 || strings.Contains(stderr.String(), "below the level") {
		t.Errorf("stderr got %d bytes; want every line at or above the level", stderr.Len())
	}
}
