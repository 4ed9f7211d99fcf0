package llmtest

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Server is a running fake server: a [Handler] behind an httptest server.
type Server struct {
	*Handler
	ts *httptest.Server
}

// NewServer starts a fake server on loopback and closes it when the test
// (or benchmark) ends.
func NewServer(t testing.TB, opts ...Option) *Server {
	t.Helper()
	s := &Server{Handler: New(opts...)}
	s.ts = httptest.NewServer(s.Handler)
	t.Cleanup(s.Close)
	return s
}

// URL returns the base URL clients use, ending in /v1.
func (s *Server) URL() string { return s.ts.URL + "/v1" }

// Root returns the server's URL without the /v1 suffix.
func (s *Server) Root() string { return s.ts.URL }

// Client returns an HTTP client for the server.
func (s *Server) Client() *http.Client { return s.ts.Client() }

// Close releases hanging requests and shuts the server down. It is safe to
// call more than once.
func (s *Server) Close() {
	s.Handler.Close()
	s.ts.Close()
}
