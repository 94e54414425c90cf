// Package e2e holds the end-to-end tests: they build the real stolik-hub and
// stolik-agent binaries, run them as processes on loopback, kill them, cut
// their connections, and check that the hub's mirror ends equal to the
// venue's state with every change applied exactly once.
package e2e
