// Package atomicfile replaces a small file in one step: readers, and the
// agent itself after a crash or a power cut, see the old contents or the
// new, never a mix. The agent keeps its connectors' own state this way
// (the simulator's venue, Poster's reservation-to-table map).
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write writes b to a temporary file beside name (created 0600: such
// files hold guests' names and phones), syncs it, renames it over name,
// and syncs the directory where the system allows it, so the rename
// survives a power cut. On failure name is left as it was and the
// temporary file is removed.
func Write(name string, b []byte) (err error) {
	dir, base := filepath.Split(name)
	if dir == "" {
		dir = "."
	}
	tmp, err := os.CreateTemp(dir, base+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if _, err := tmp.Write(b); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp.Name(), name); err != nil {
		return err
	}
	// Directories cannot be opened for syncing everywhere (Windows): the
	// rename is then as durable as the system makes it.
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
