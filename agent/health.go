package agent

// HealthNoter is the optional capability of reporting a problem worth a
// look that did not stop the connector reading, such as malformed export
// files set aside while the last good ones stay in effect. The agent sends
// it as the connector health's Error while health stays OK.
type HealthNoter interface {
	// HealthNote returns the problem in words support can act on, or ""
	// when there is none. It is called after each successful Snapshot.
	HealthNote() string
}
