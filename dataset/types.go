package dataset

import "time"

// Item is one entry of an eval set: a question and its acceptable gold answers.
type Item struct {
	// ID identifies the item across runs; missing ids are derived from the question.
	ID string `json:"id"`
	// Question is what the model is asked.
	Question string `json:"question"`
	// Answers holds the acceptable gold answers; validators take the best match.
	Answers []string `json:"answer"`
	// Tags group items in reports and comparisons.
	Tags []string `json:"tags,omitempty"`
	// Sources names the help docs that answer the question, when known.
	Sources []string `json:"sources,omitempty"`
	// Meta keeps any other fields of the input record.
	Meta map[string]any `json:"meta,omitempty"`
}

// Chunk is a piece of a help document, as stored in and retrieved from the knowledge base.
type Chunk struct {
	// ID is stable for the same document path and chunk content.
	ID string `json:"id"`
	// Doc is the document's path relative to the project.
	Doc string `json:"doc"`
	// Heading is the heading path of the chunk ("Account > Delete your account").
	Heading string `json:"heading,omitempty"`
	// Text is the chunk's content.
	Text string `json:"text"`
	// Score is the retrieval similarity, when the chunk came from a search.
	Score float64 `json:"score,omitempty"`
}

// Provenance records where a generated sample came from.
type Provenance struct {
	// FailedItem is the eval item whose failure seeded the sample.
	FailedItem string `json:"failed_item,omitempty"`
	// Generator names the generator that wrote the sample.
	Generator string `json:"generator,omitempty"`
	// Round is the agentic-loop round (1-based) that produced it.
	Round int `json:"round,omitempty"`
	// Chunks are the ids of the chunks the sample is grounded in.
	Chunks []string `json:"chunks,omitempty"`
	// Docs are the paths of the documents those chunks belong to.
	Docs []string `json:"docs,omitempty"`
}

// Sample is what validators judge. In an eval, Answer is the model's output and
// References are the gold answers; in generation, Answer is the generated answer
// and Contexts are the doc chunks it must be grounded in.
type Sample struct {
	// ID identifies the sample (the eval item id in an eval).
	ID string `json:"id,omitempty"`
	// Question is the question asked.
	Question string `json:"question"`
	// Answer is the answer being judged.
	Answer string `json:"answer"`
	// References are the acceptable gold answers, if any.
	References []string `json:"references,omitempty"`
	// Contexts are retrieved help-doc chunks relevant to the question.
	Contexts []Chunk `json:"contexts,omitempty"`
	// Tags are carried over from the eval item.
	Tags []string `json:"tags,omitempty"`
	// Provenance is set on generated samples.
	Provenance Provenance `json:"provenance,omitzero"`
}

// Verdict is one validator's judgement of a sample.
type Verdict struct {
	// Validator is the validator's name (its label in the config when it has one).
	Validator string `json:"validator"`
	// Score is in [0, 1]; never NaN.
	Score float64 `json:"score"`
	// Pass reports whether the sample passed this validator.
	Pass bool `json:"pass"`
	// Label is the label this validator argues for; empty means it has no opinion.
	Label Label `json:"label,omitempty"`
	// Reason explains the verdict in words a person can check.
	Reason string `json:"reason,omitempty"`
	// Evidence lists supporting references, such as the chunk ids a claim was found in.
	Evidence []string `json:"evidence,omitempty"`
}

// Usage counts tokens spent on model calls.
type Usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
	TotalTokens      int `json:"total_tokens"`
}

// Add returns the sum of u and o.
func (u Usage) Add(o Usage) Usage {
	return Usage{
		PromptTokens:     u.PromptTokens + o.PromptTokens,
		CompletionTokens: u.CompletionTokens + o.CompletionTokens,
		TotalTokens:      u.TotalTokens + o.TotalTokens,
	}
}

// Result is one graded eval item: a line of results.jsonl.
type Result struct {
	ID       string   `json:"id"`
	Question string   `json:"question"`
	Gold     []string `json:"gold"`
	Tags     []string `json:"tags,omitempty"`
	Output   string   `json:"output"`
	Label    Label    `json:"label"`
	// Reason says which validators decided the label and why.
	Reason    string    `json:"reason,omitempty"`
	Verdicts  []Verdict `json:"verdicts"`
	Contexts  []Chunk   `json:"contexts,omitempty"`
	LatencyMS int64     `json:"latency_ms"`
	Usage     Usage     `json:"usage"`
	// Retries counts model calls that were retried for this item.
	Retries int `json:"retries,omitempty"`
	// Cached reports that the model's answer came from the response cache.
	Cached bool `json:"cached,omitempty"`
	// Error holds the failure message when Label is error.
	Error string `json:"error,omitempty"`
}

// Latency returns the result's latency as a duration.
func (r Result) Latency() time.Duration { return time.Duration(r.LatencyMS) * time.Millisecond }
