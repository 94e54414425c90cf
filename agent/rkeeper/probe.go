package rkeeper

import (
	"context"
	"crypto/sha256"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/url"
)

// PresentedFingerprint connects to the cash server at rawURL, completes a
// TLS handshake without trusting anything, and returns the SHA-256
// fingerprint (AA:BB:...) of the certificate it presents. It sends no
// HTTP request, so no credentials: it serves `stolik-agent check` when
// connector.rkeeper.cert_sha256 is still empty, to show IT what to pin.
func PresentedFingerprint(ctx context.Context, rawURL string) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Host == "" || u.Scheme != "https" {
		return "", fmt.Errorf("rkeeper: %q is not an https:// address", rawURL)
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), "443")
	}
	d := tls.Dialer{Config: &tls.Config{
		// Nothing is trusted or sent: the handshake only shows the
		// certificate, whose fingerprint a person then checks and pins.
		InsecureSkipVerify: true,
		ServerName:         u.Hostname(),
	}}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return "", transportError(fmt.Errorf("rkeeper: TLS handshake with %s: %w", host, err),
			rawURL)
	}
	defer conn.Close()
	certs := conn.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return "", errors.New("rkeeper: the server presented no certificate")
	}
	sum := sha256.Sum256(certs[0].Raw)
	return FormatFingerprint(sum[:]), nil
}
