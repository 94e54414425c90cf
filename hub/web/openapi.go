package web

import (
	_ "embed"
	"net/http"
)

// OpenAPI is the OpenAPI 3 document of the hub's /api/v1 endpoints.
//
//go:embed openapi.json
var OpenAPI []byte

func (s *Server) openapi(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(OpenAPI)
}
