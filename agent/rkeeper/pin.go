package rkeeper

import (
	"bytes"
	"crypto/sha256"
	"crypto/tls"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
)

// PinError says that the cash server presented a certificate other than
// the pinned one.
type PinError struct {
	Want, Got string // fingerprints, as AA:BB:...
}

func (e *PinError) Error() string {
	return fmt.Sprintf("the server presented a certificate with SHA-256 fingerprint %s, "+
		"but connector.rkeeper.cert_sha256 is %s", e.Got, e.Want)
}

// ParseFingerprint reads a SHA-256 fingerprint written in hex, with or
// without colons (or spaces) between the bytes, in either case.
func ParseFingerprint(s string) ([]byte, error) {
	clean := strings.NewReplacer(":", "", " ", "", "-", "").Replace(strings.TrimSpace(s))
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("certificate fingerprint %q: want 64 hex digits "+
			"(colons allowed), the SHA-256 of the cash server's certificate", s)
	}
	return b, nil
}

// FormatFingerprint writes a fingerprint as upper-case hex pairs joined by
// colons, the way certificate viewers show it.
func FormatFingerprint(b []byte) string {
	h := strings.ToUpper(hex.EncodeToString(b))
	var sb strings.Builder
	for i := 0; i < len(h); i += 2 {
		if i > 0 {
			sb.WriteByte(':')
		}
		sb.WriteString(h[i : i+2])
	}
	return sb.String()
}

// pinnedTLS trusts exactly the certificate whose SHA-256 is pin. The cash
// server's certificate is self-signed, so there is no chain to verify:
// the usual verification is off and the pin replaces it, checked on every
// handshake.
func pinnedTLS(pin []byte) *tls.Config {
	want := bytes.Clone(pin)
	return &tls.Config{
		InsecureSkipVerify: true, // replaced by VerifyConnection below
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server presented no certificate")
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if !bytes.Equal(got[:], want) {
				return &PinError{Want: FormatFingerprint(want), Got: FormatFingerprint(got[:])}
			}
			return nil
		},
	}
}
