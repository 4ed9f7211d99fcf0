package pipelines

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/validators"
)

// Eval grades a model's answers to eval items. Build one with the fields set,
// then call [Eval.Item] per item or [Eval.Run] for a set.
type Eval struct {
	// Model answers the questions.
	Model llm.Model
	// SystemPrompt is sent first with every question.
	SystemPrompt string
	// Search retrieves help-doc chunks; nil when the project has no docs.
	Search retrieval.Searcher
	// RAGK, when > 0, puts that many retrieved chunks into the prompt.
	RAGK int
	// ContextK is how many chunks to retrieve for the validators (and for
	// models that read Request.Contexts) when RAG is off.
	ContextK int
	// Validators grade each answer, in order.
	Validators []validators.Built
	// Policy turns verdicts into a label.
	Policy validators.Policy
}

// Item answers and grades one eval item. Failures are recorded in the result
// (label error), never returned. The error is non-nil only when ctx was
// cancelled before the item finished: such an item must not be recorded, so
// that a resumed run redoes it.
func (e *Eval) Item(ctx context.Context, it dataset.Item) (dataset.Result, error) {
	start := time.Now()
	res := dataset.Result{ID: it.ID, Question: it.Question, Gold: it.Answers, Tags: it.Tags}
	fail := func(err error) (dataset.Result, error) {
		if ctx.Err() != nil {
			return res, context.Cause(ctx)
		}
		res.Label = dataset.Error
		res.Error = err.Error()
		res.Verdicts = []dataset.Verdict{}
		res.LatencyMS = time.Since(start).Milliseconds()
		return res, nil
	}

	var contexts []dataset.Chunk
	if e.Search != nil {
		k := max(e.RAGK, e.ContextK)
		if k > 0 {
			cs, err := e.Search.Search(ctx, it.Question, k)
			if err != nil {
				return fail(fmt.Errorf("retrieve help docs: %w", err))
			}
			contexts = cs
		}
	}
	req := llm.Request{ItemID: it.ID, Contexts: contexts}
	if e.SystemPrompt != "" {
		req.Messages = append(req.Messages, llm.Message{Role: llm.System, Content: e.SystemPrompt})
	}
	req.Messages = append(req.Messages, llm.Message{Role: llm.User, Content: UserPrompt(it.Question, contexts, e.RAGK)})

	resp, err := e.Model.Generate(ctx, req)
	res.Retries = resp.Retries
	if err != nil {
		// A call that failed after retries still spent them: count them,
		// so that summary.json's retries add up with the requests sent.
		res.Retries = llm.Retries(err)
	}
	res.Usage = resp.Usage
	res.Cached = resp.Cached
	res.Contexts = contexts
	if err != nil {
		return fail(err)
	}
	res.Output = resp.Text

	sample := &dataset.Sample{ID: it.ID, Question: it.Question, Answer: resp.Text, References: it.Answers, Contexts: contexts, Tags: it.Tags}
	outs, err := validators.Run(ctx, e.Validators, sample)
	if err != nil {
		return fail(err)
	}
	res.Verdicts = validators.Verdicts(outs)
	d := e.Policy.Decide(outs)
	res.Label, res.Reason = d.Label, d.Reason
	if res.Label == dataset.Error {
		res.Error = d.Reason
	}
	res.LatencyMS = time.Since(start).Milliseconds()
	return res, nil
}

// UserPrompt is the user message for a question. With k > 0 the first k
// chunks are quoted before it as numbered help-centre excerpts.
func UserPrompt(question string, chunks []dataset.Chunk, k int) string {
	if k <= 0 || len(chunks) == 0 {
		return question
	}
	var b strings.Builder
	b.WriteString("Answer using only these excerpts from our help centre. If they do not answer the question, say so.\n\n")
	for i, c := range chunks {
		if i == k {
			break
		}
		fmt.Fprintf(&b, "[%d] %s", i+1, c.Doc)
		if c.Heading != "" {
			fmt.Fprintf(&b, " — %s", c.Heading)
		}
		fmt.Fprintf(&b, "\n%s\n\n", strings.TrimSpace(c.Text))
	}
	b.WriteString("Question: ")
	b.WriteString(question)
	return b.String()
}
