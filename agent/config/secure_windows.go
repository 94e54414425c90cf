//go:build windows

package config

import (
	"fmt"
	"io/fs"
	"os"

	"golang.org/x/sys/windows"
)

// Only the service account (LocalSystem) and administrators may read the
// agent's secret and data. The DACLs are protected: nothing is inherited
// from %ProgramData%, whose default lets every user read.
const (
	fileSDDL = "D:P(A;;FA;;;SY)(A;;FA;;;BA)"
	dirSDDL  = "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
)

// Secure makes the file or directory at path readable by SYSTEM and
// Administrators alone; a directory passes that on to what it holds.
func Secure(path string) error {
	fi, err := os.Stat(path)
	if err != nil {
		return err
	}
	sddl := fileSDDL
	if fi.IsDir() {
		sddl = dirSDDL
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return fmt.Errorf("security descriptor: %w", err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("security descriptor: %w", err)
	}
	err = windows.SetNamedSecurityInfo(path, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION,
		nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("restrict access to %s: %w", path, err)
	}
	return nil
}

// keepOwner is a no-op: the protected DACL, not the owner, decides access.
func keepOwner(string, fs.FileInfo) error { return nil }
