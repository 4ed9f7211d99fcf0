package pipelines

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/validators"
)

// TestEvalItemCountsRetriesOfFailedCalls: an item whose model call fails
// after retries is labelled error and still reports the retries it spent,
// so that summary.json's retries add up with the requests sent.
func TestEvalItemCountsRetriesOfFailedCalls(t *testing.T) {
	calls := 0
	failing := llm.ModelFunc(func(context.Context, llm.Request) (llm.Response, error) {
		calls++
		return llm.Response{}, &llm.APIError{Provider: "openai", Model: "m", Kind: llm.ErrServer, Status: 500}
	})
	model := llm.Chain(failing, llm.Retry(llm.RetryOptions{
		MaxRetries: 3,
		Sleep:      func(context.Context, time.Duration) error { return nil },
	}))
	match, err := validators.Builtin().Build("eval.validators[0]", map[string]any{"type": "match"}, validators.Deps{})
	if err != nil {
		t.Fatal(err)
	}
	e := &Eval{Model: model, Validators: []validators.Built{match}, Policy: validators.DefaultPolicy()}
	res, err := e.Item(context.Background(), dataset.Item{ID: "a", Question: "Q?", Answers: []string{"A"}})
	if err != nil {
		t.Fatal(err)
	}
	if res.Label != dataset.Error || !strings.Contains(res.Error, "server error") {
		t.Errorf("label %s, error %q; want error, server error", res.Label, res.Error)
	}
	if calls != 4 || res.Retries != 3 {
		t.Errorf("%d calls, result retries %d; want 4 calls, 3 retries", calls, res.Retries)
	}
	if s := dataset.Summarize([]dataset.Result{res}); s.Retries != 3 || s.Counts[dataset.Error] != 1 {
		t.Errorf("summary retries %d, errors %d; want 3, 1", s.Retries, s.Counts[dataset.Error])
	}
}
