// Package llmtest is a fake OpenAI-compatible server for tests and
// benchmarks.
//
// The server logic is a plain [http.Handler] ([Handler], built by [New])
// that does not import package testing, so a small main can serve it as a
// separate process; [NewServer] wraps it in an httptest server that closes
// itself when the test ends.
//
// It serves
//
//	POST /v1/chat/completions   scripted answers, OpenAI response shape with usage
//	POST /v1/embeddings         deterministic unit vectors (see [Embed])
//	GET  /v1/models             the configured model names
//
// and more routes can be added with [Handler.Route]: every route gets auth
// checks, request counting, in-flight tracking, the request log and
// probabilistic fault injection.
//
// Answers are scripted with rules ([Handler.Handle], [Handler.HandleFunc])
// that match a chat request (on the last user message, any message, the
// model, ...) and reply with a sequence of [Reply] values: the n-th call to
// a rule gets the n-th reply, and the last reply repeats. A reply is either
// a text or a fault: [RateLimited] (429 with Retry-After), [ServerError]
// (500), [Hang] (blocks until the client gives up), [Malformed] (a 200 whose
// body is not JSON), [Drop] (the connection is closed with no response) or
// any [Status]. [WithFaults] adds seeded random faults on top.
//
// Everything is safe for concurrent use.
//
//	srv := llmtest.NewServer(t, llmtest.WithAuth("sk-test"))
//	srv.Handle(llmtest.LastUserContains("reset"),
//		llmtest.RateLimited(time.Second), llmtest.Text("Use Settings > Password."))
//	// point the client at srv.URL() ...
//	if srv.MaxInFlight() > 4 { t.Fatal("too many requests in flight") }
package llmtest
