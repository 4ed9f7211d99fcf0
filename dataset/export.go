package dataset

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// Record is one generated training row: a sample with every verdict on it,
// the reasons it was rejected (none when accepted) and, for preference
// data, an answer to prefer less. Its JSON is the sample's fields inline plus
// "verdicts", "rejections" and "rejected_answer": the native export format.
type Record struct {
	Sample
	// Verdicts are the validators' verdicts on the sample.
	Verdicts []Verdict `json:"verdicts,omitempty"`
	// Rejections are the reasons the sample was rejected; empty when accepted.
	Rejections []string `json:"rejections,omitempty"`
	// RejectedAnswer is a worse answer to the same question (the evaluated
	// model's own, when it failed the validators): DPO's "rejected".
	RejectedAnswer string `json:"rejected_answer,omitempty"`
}

// Accepted reports whether no stage rejected the record.
func (r Record) Accepted() bool { return len(r.Rejections) == 0 }

// Format is a training-data export format.
type Format string

// The export formats.
const (
	// Native is synth's own JSONL: every field of [Record], provenance included.
	Native Format = "native"
	// OpenAI is OpenAI chat fine-tuning: {"messages": [system?, user, assistant]}.
	OpenAI Format = "openai"
	// Alpaca is {"instruction", "input", "output"}.
	Alpaca Format = "alpaca"
	// ShareGPT is {"conversations": [{"from": "human"|"gpt"|"system", "value"}]}.
	ShareGPT Format = "sharegpt"
	// Lamini is {"input", "output"}.
	Lamini Format = "lamini"
	// DPO is preference pairs {"prompt", "chosen", "rejected"} (and "system"
	// when set); records without a RejectedAnswer are skipped.
	DPO Format = "dpo"
)

// Formats lists every export format.
var Formats = []Format{Native, OpenAI, Alpaca, ShareGPT, Lamini, DPO}

// ParseFormat returns the format named s (case does not matter; "jsonl" is
// native and "chat" is openai), or an error listing the formats.
func ParseFormat(s string) (Format, error) {
	switch f := Format(strings.ToLower(strings.TrimSpace(s))); f {
	case "jsonl":
		return Native, nil
	case "chat":
		return OpenAI, nil
	case Native, OpenAI, Alpaca, ShareGPT, Lamini, DPO:
		return f, nil
	}
	names := make([]string, len(Formats))
	for i, f := range Formats {
		names[i] = string(f)
	}
	return "", fmt.Errorf("unknown export format %q (want one of %s)", s, strings.Join(names, ", "))
}

// ExportOptions adjust an export.
type ExportOptions struct {
	// System is a system prompt to put in every row (formats that have one).
	System string
	// Contexts puts the sample's doc chunks before the question in the
	// prompt (in Alpaca, into "input"), for tuning a model that will answer
	// with retrieval. Native rows always carry the chunks.
	Contexts bool
}

type chatMessage struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

type shareGPTTurn struct {
	From  string `json:"from"`
	Value string `json:"value"`
}

// ExportRecord returns r as one row of format f, or ok=false when the format
// cannot express r (a DPO row needs a RejectedAnswer that differs from the
// answer).
func ExportRecord(f Format, r Record, opt ExportOptions) (row any, ok bool, err error) {
	prompt := r.Question
	if opt.Contexts && f != Alpaca && len(r.Contexts) > 0 {
		prompt = contextBlock(r.Contexts) + "\n\nQuestion: " + r.Question
	}
	switch f {
	case Native:
		return r, true, nil
	case OpenAI:
		msgs := make([]chatMessage, 0, 3)
		if opt.System != "" {
			msgs = append(msgs, chatMessage{"system", opt.System})
		}
		msgs = append(msgs, chatMessage{"user", prompt}, chatMessage{"assistant", r.Answer})
		return struct {
			Messages []chatMessage `json:"messages"`
		}{msgs}, true, nil
	case Alpaca:
		row := struct {
			Instruction string `json:"instruction"`
			Input       string `json:"input"`
			Output      string `json:"output"`
			System      string `json:"system,omitempty"`
		}{Instruction: r.Question, Output: r.Answer, System: opt.System}
		if opt.Contexts && len(r.Contexts) > 0 {
			row.Input = contextBlock(r.Contexts)
		}
		return row, true, nil
	case ShareGPT:
		turns := make([]shareGPTTurn, 0, 3)
		if opt.System != "" {
			turns = append(turns, shareGPTTurn{"system", opt.System})
		}
		turns = append(turns, shareGPTTurn{"human", prompt}, shareGPTTurn{"gpt", r.Answer})
		return struct {
			Conversations []shareGPTTurn `json:"conversations"`
		}{turns}, true, nil
	case Lamini:
		return struct {
			Input  string `json:"input"`
			Output string `json:"output"`
		}{prompt, r.Answer}, true, nil
	case DPO:
		if strings.TrimSpace(r.RejectedAnswer) == "" || strings.TrimSpace(r.RejectedAnswer) == strings.TrimSpace(r.Answer) {
			return nil, false, nil
		}
		return struct {
			System   string `json:"system,omitempty"`
			Prompt   string `json:"prompt"`
			Chosen   string `json:"chosen"`
			Rejected string `json:"rejected"`
		}{opt.System, prompt, r.Answer, r.RejectedAnswer}, true, nil
	}
	return nil, false, fmt.Errorf("unknown export format %q", f)
}

// contextBlock renders chunks as numbered sources.
func contextBlock(chunks []Chunk) string {
	var b strings.Builder
	b.WriteString("Context:")
	for i, c := range chunks {
		fmt.Fprintf(&b, "\n[%d] ", i+1)
		if c.Heading != "" {
			fmt.Fprintf(&b, "%s: ", c.Heading)
		}
		b.WriteString(strings.TrimSpace(c.Text))
	}
	return b.String()
}

// Export writes records to w as JSON lines of format f and returns how many
// rows it wrote; records the format cannot express (see [ExportRecord]) are
// skipped.
func Export(w io.Writer, f Format, records []Record, opt ExportOptions) (int, error) {
	bw := bufio.NewWriter(w)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	n := 0
	for i, r := range records {
		row, ok, err := ExportRecord(f, r, opt)
		if err != nil {
			return n, err
		}
		if !ok {
			continue
		}
		if err := enc.Encode(row); err != nil {
			return n, fmt.Errorf("export record %d (%s): %w", i+1, r.ID, err)
		}
		n++
	}
	return n, bw.Flush()
}
