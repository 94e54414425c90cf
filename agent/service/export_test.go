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
