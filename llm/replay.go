package llm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"

	"github.com/synth-dev/synth/dataset"
)

// Replay is a model that answers from outputs produced elsewhere: a JSONL
// file of {"id": ..., "output": ...} lines, looked up by Request.ItemID.
type Replay struct {
	path    string
	outputs map[string]string
}

// LoadReplay reads a replay file.
func LoadReplay(path string) (*Replay, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("replay: %w", err)
	}
	defer f.Close()
	outs, err := ParseReplay(f, path)
	if err != nil {
		return nil, err
	}
	return &Replay{path: path, outputs: outs}, nil
}

// NewReplay returns a replay model over outputs (item id -> output); name
// appears in its errors.
func NewReplay(name string, outputs map[string]string) *Replay {
	return &Replay{path: name, outputs: outputs}
}

// Len returns how many outputs the replay holds.
func (r *Replay) Len() int { return len(r.outputs) }

// Generate answers with the output recorded for req.ItemID.
func (r *Replay) Generate(ctx context.Context, req Request) (Response, error) {
	if err := ctx.Err(); err != nil {
		return Response{}, err
	}
	if req.ItemID == "" {
		return Response{}, fmt.Errorf("replay %s: the request has no item id (replay models only answer eval items)", r.path)
	}
	out, ok := r.outputs[req.ItemID]
	if !ok {
		return Response{}, fmt.Errorf("replay %s: %w %q", r.path, ErrUnknownItem, req.ItemID)
	}
	return Response{Text: out, Model: "replay"}, nil
}

// ParseReplay reads replay lines from rd: one JSON object per line with a
// string or integer "id" and a string "output"; other fields are ignored,
// blank lines skipped. Errors name name:line. Duplicate ids are an error.
func ParseReplay(rd io.Reader, name string) (map[string]string, error) {
	outs := map[string]string{}
	first := map[string]int{}
	err := dataset.ScanJSONLReader(name, rd, func(line int, raw []byte) error {
		id, out, err := parseReplayLine(bytes.TrimSpace(raw))
		if err != nil {
			return err
		}
		if l, dup := first[id]; dup {
			return fmt.Errorf("duplicate id %q (first on line %d)", id, l)
		}
		first[id] = line
		outs[id] = out
		return nil
	})
	if err != nil {
		return nil, err
	}
	return outs, nil
}

func parseReplayLine(b []byte) (id, output string, err error) {
	var rec struct {
		ID     json.RawMessage `json:"id"`
		Output json.RawMessage `json:"output"`
	}
	if len(b) == 0 || b[0] != '{' {
		return "", "", errors.New(`not a JSON object such as {"id": "q1", "output": "..."}`)
	}
	if err := json.Unmarshal(b, &rec); err != nil {
		return "", "", err // described by the scanner: "not valid JSON: ... (column N)"
	}
	if len(rec.ID) == 0 || string(rec.ID) == "null" {
		return "", "", errors.New(`missing "id"`)
	}
	if rec.ID[0] == '"' {
		if err := json.Unmarshal(rec.ID, &id); err != nil {
			return "", "", fmt.Errorf(`"id": %w`, err)
		}
	} else {
		n, perr := strconv.ParseInt(string(rec.ID), 10, 64)
		if perr != nil {
			return "", "", fmt.Errorf(`"id" must be a string or an integer, got %s`, truncate(string(rec.ID), 40))
		}
		id = strconv.FormatInt(n, 10)
	}
	if id == "" {
		return "", "", errors.New(`empty "id"`)
	}
	if len(rec.Output) == 0 || string(rec.Output) == "null" {
		return "", "", fmt.Errorf(`id %q: missing "output"`, id)
	}
	if err := json.Unmarshal(rec.Output, &output); err != nil {
		return "", "", fmt.Errorf(`id %q: "output" must be a string`, id)
	}
	return id, output, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
