package wire

import (
	"fmt"
	"net/http"
	"strings"
)

// AuthScheme is the scheme of the Authorization header an agent sends in its
// websocket upgrade request: "Stolik-Agent <agent id>:<secret>".
const AuthScheme = "Stolik-Agent"

// SetCredential puts an agent's credential into an upgrade request header.
func SetCredential(h http.Header, agentID, secret string) {
	h.Set("Authorization", AuthScheme+" "+agentID+":"+secret)
}

// Credential reads the agent credential from a request header.
func Credential(h http.Header) (agentID, secret string, err error) {
	v := h.Get("Authorization")
	if v == "" {
		return "", "", fmt.Errorf("no Authorization header")
	}
	scheme, rest, ok := strings.Cut(v, " ")
	if !ok || !strings.EqualFold(scheme, AuthScheme) {
		return "", "", fmt.Errorf("authorization scheme is not %s", AuthScheme)
	}
	agentID, secret, ok = strings.Cut(strings.TrimSpace(rest), ":")
	if !ok || agentID == "" || secret == "" {
		return "", "", fmt.Errorf("credential is not <agent id>:<secret>")
	}
	return agentID, secret, nil
}
