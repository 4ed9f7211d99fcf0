package llm_test

import (
	"context"
	"fmt"
	"net/http/httptest"

	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/llm/llmtest"
	"github.com/synth-dev/synth/spec"
)

// Open a model from its config entry and call it. The fake server stands in
// for any OpenAI-compatible API; it fails the first call with a 429, which
// the retry middleware absorbs.
func ExampleOpen() {
	fake := llmtest.New()
	fake.Handle(llmtest.LastUserContains("password"),
		llmtest.RateLimited(0), llmtest.Text("Go to Settings > Security > Reset password."))
	srv := httptest.NewServer(fake)
	defer srv.Close()

	cfg, err := llm.ParseConfig(spec.NewParams("models.gpt", map[string]any{
		"provider": "openai", "model": "gpt-4o-mini", "base_url": srv.URL + "/v1",
		"temperature": 0, "max_retries": 2, "concurrency": 4,
		"price": map[string]any{"input": 0.15, "output": 0.60},
	}))
	if err != nil {
		fmt.Println(err)
		return
	}
	meter := llm.NewMeter()
	model, err := llm.Open(context.Background(), "gpt", cfg, llm.OpenOptions{
		Meter:     meter,
		LookupEnv: func(string) (string, bool) { return "sk-example", true },
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	resp, err := model.Generate(context.Background(), llm.Prompt("How do I reset my password?"))
	if err != nil {
		fmt.Println(err)
		return
	}
	st := meter.Stats().Total
	fmt.Println(resp.Text)
	fmt.Println("retries:", resp.Retries, "calls:", st.Calls, "tokens:", st.Usage.TotalTokens)
	// Output:
	// Go to Settings > Security > Reset password.
	// retries: 1 calls: 1 tokens: 18
}
