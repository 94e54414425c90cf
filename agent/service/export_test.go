package service

// Poked reports whether p holds a request to poll, and consumes it.
func Poked(p *Poller) bool {
	select {
	case <-p.poke:
		return true
	default:
		return false
	}
}

// RU is ru, for tests of Russian plurals.
var RU = ru

// Failed is failed, for tests of how a connector's error is reported.
var Failed = failed
