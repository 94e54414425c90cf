package atomicfile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stolik/stolik/agent/internal/atomicfile"
)

func TestWriteReplacesAndLeavesNoTemp(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "state.json")
	for _, want := range []string{"first\n", "second, longer\n", "3\n"} {
		if err := atomicfile.Write(name, []byte(want)); err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(name)
		if err != nil || string(got) != want {
			t.Fatalf("read %q, %v; want %q", got, err, want)
		}
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("%d files in the directory, want only state.json", len(entries))
	}
	if fi, err := os.Stat(name); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Errorf("mode %v, %v: want no access for group and others", fi.Mode(), err)
	}
}

func TestWriteFailureKeepsOld(t *testing.T) {
	dir := t.TempDir()
	name := filepath.Join(dir, "state.json")
	if err := atomicfile.Write(name, []byte("old")); err != nil {
		t.Fatal(err)
	}
	// A directory in the way of the rename: the write fails, old stays.
	if err := atomicfile.Write(filepath.Join(dir, "missing", "x.json"), []byte("new")); err == nil {
		t.Error("write into a missing directory succeeded")
	}
	if got, _ := os.ReadFile(name); string(got) != "old" {
		t.Errorf("contents %q, want old", got)
	}
}
