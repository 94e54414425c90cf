package hub

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"strings"
)

// NewID returns a random identifier with a readable prefix, such as
// "agt_7k3q...". It is safe to show and to put in URLs.
func NewID(prefix string) string {
	return prefix + "_" + randomText(10)
}

// NewSecret returns a fresh agent secret (160 random bits).
func NewSecret() string { return randomText(20) }

// HashSecret is how a secret is kept in a store. Secrets are random and
// long, so a plain SHA-256 is enough; there is nothing to guess.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// CheckSecret reports whether secret matches hash, in constant time.
func CheckSecret(hash []byte, secret string) bool {
	h := sha256.Sum256([]byte(secret))
	return subtle.ConstantTimeCompare(hash, h[:]) == 1
}

var lower32 = base32.NewEncoding("abcdefghijkmnpqrstuvwxyz23456789").WithPadding(base32.NoPadding)

func randomText(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return strings.ToLower(lower32.EncodeToString(b))
}
