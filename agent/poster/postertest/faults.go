package postertest

import (
	"maps"
	"time"
)

// ExpireToken makes the fake answer code 12 (token expired) to every call
// until SetToken gives it a new token.
func (f *Fake) ExpireToken() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.expired = true
}

// SetToken replaces the accepted token (a new one made in Access ->
// Integrations) and ends an expiry.
func (f *Fake) SetToken(token string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.token, f.expired = token, false
}

// SetDown makes every request's connection drop without an answer (true),
// or the API answer again (false).
func (f *Fake) SetDown(down bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.down = down
}

// SetSlow delays every answer by d (0: none); a request whose client gives
// up is dropped.
func (f *Fake) SetSlow(d time.Duration) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.slow = d
}

// LoseNextAnswer makes the next write call (createReservation) do its work
// and then drop the connection before answering.
func (f *Fake) LoseNextAnswer() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.lose++
}

// SetTariffLimit makes reservation calls answer code 700, as on an account
// without the Pro tariff.
func (f *Fake) SetTariffLimit(on bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.noTariff = on
}

// FailNext makes the next call to call ("dash.getTransactions") answer
// the in-band error {"error": {"code": code, "message": message}}.
func (f *Fake) FailNext(call string, code int, message string) {
	f.addFault(call, fault{code: code, message: message})
}

// FailNextHTTP makes the next call to call answer an HTTP status with a
// body that is not JSON, as a proxy in front of the API would.
func (f *Fake) FailNextHTTP(call string, status int) {
	f.addFault(call, fault{status: status})
}

// MalformNext makes the next call to call answer a body cut in the middle.
func (f *Fake) MalformNext(call string) {
	f.addFault(call, fault{malformed: true})
}

func (f *Fake) addFault(call string, ft fault) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults[call] = append(f.faults[call], ft)
}

// takeFault returns the next fault queued for call; f.mu must be held.
func (f *Fake) takeFault(call string) (fault, bool) {
	q := f.faults[call]
	if len(q) == 0 {
		return fault{}, false
	}
	f.faults[call] = q[1:]
	return q[0], true
}

// Requests returns how many requests each call got, down ones included.
func (f *Fake) Requests() map[string]int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return maps.Clone(f.counts)
}

// TotalRequests returns the number of requests of every call.
func (f *Fake) TotalRequests() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.counts {
		n += c
	}
	return n
}

// ResetRequests zeroes the request counters.
func (f *Fake) ResetRequests() {
	f.mu.Lock()
	defer f.mu.Unlock()
	clear(f.counts)
}
