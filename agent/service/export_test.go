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

// VenueTime is venueTime, for tests of the times check prints.
var VenueTime = venueTime

// MaskPhones is maskPhones, for tests of what reaches logs and the hub.
var MaskPhones = maskPhones

// Failed is failed, for tests of how a connector's error is reported.
var Failed = failed
