// Command fakellm serves the fake OpenAI-compatible server of package
// llm/llmtest as its own process, for benchmarks that must not share a
// process (a CPU, a heap, a scheduler) with the client they measure.
//
// It is a development tool, not part of the synth binary:
//
//	go run ./scripts/fakellm -addr 127.0.0.1:0 -latency 50ms
//
// It prints the base URL (ending in /v1) as the first line on stdout once it
// listens, then serves until SIGINT or SIGTERM. Every chat answer waits the
// latency first. Requests whose messages contain the judge prompt's
// "[Submission]" marker get a judge reply in JSON ({"reasoning", "choice"});
// every other chat request gets the answer text. GET /_stats returns
// {"requests", "max_in_flight", "in_flight"} as JSON, so a driver can check
// how many requests it sent and how many were in flight at once.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/synth-dev/synth/llm/llmtest"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "fakellm:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	fs := flag.NewFlagSet("fakellm", flag.ContinueOnError)
	addr := fs.String("addr", "127.0.0.1:0", "address to listen on (port 0: any free port)")
	latency := fs.Duration("latency", 50*time.Millisecond, "delay before every answer")
	answer := fs.String("answer", "Open Settings > Security and click Change password. The reset link expires after 30 minutes.", "text of every answer that is not a judge reply")
	choice := fs.String("choice", "C", "choice (A..E) of every judge reply")
	if err := fs.Parse(args); err != nil {
		return err
	}
	h := newHandler(*latency, *answer, *choice)

	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Printf("http://%s/v1\n", ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return nil
}

// newHandler returns the fake server (with the judge rule and the default
// answer) behind a mux that adds GET /_stats.
func newHandler(latency time.Duration, answer, choice string) http.Handler {
	fake := llmtest.New(
		llmtest.WithLatency(latency),
		llmtest.WithLogLimit(-1), // keep no request log: a long benchmark must not grow the server
		llmtest.WithDefault(llmtest.Text(answer)),
	)
	fake.Handle(llmtest.AnyContains("[Submission]"),
		llmtest.JSON(map[string]string{"reasoning": "The submission has the same details as the expert answer.", "choice": choice}))
	mux := http.NewServeMux()
	mux.Handle("/", fake)
	mux.HandleFunc("GET /_stats", func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(Stats{Requests: fake.Requests(), MaxInFlight: fake.MaxInFlight(), InFlight: fake.InFlight()})
	})
	return mux
}

// Stats is the body of GET /_stats.
type Stats struct {
	Requests    int `json:"requests"`
	MaxInFlight int `json:"max_in_flight"`
	InFlight    int `json:"in_flight"`
}
