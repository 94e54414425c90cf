//go:build !windows

package main

// report has nothing to add here: the message goes to stderr, which is the
// terminal or, under systemd, the journal.
func report(string, error) {}
