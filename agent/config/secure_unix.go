//go:build !windows

package config

import (
	"io/fs"
	"os"
	"syscall"
)

// Secure makes the file or directory at path readable by its owner alone:
// mode 0600 for a file, 0700 for a directory.
func Secure(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	mode := fs.FileMode(0o600)
	if fi.IsDir() {
		mode = 0o700
	}
	return os.Chmod(path, mode)
}

// keepOwner gives the file at path the owner and group of old.
func keepOwner(path string, old fs.FileInfo) error {
	st, ok := old.Sys().(*syscall.Stat_t)
	if !ok || (int(st.Uid) == os.Geteuid() && int(st.Gid) == os.Getegid()) {
		return nil
	}
	return os.Chown(path, int(st.Uid), int(st.Gid))
}
