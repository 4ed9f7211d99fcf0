package e2e

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// replayConfig is a project config that grades a replay model, so that no
// server is needed.
const replayConfig = `models:
  mine: {provider: replay, path: outputs.jsonl}
eval: {dataset: evalset.jsonl, model: mine}
`

const goodEvalSet = `{"id": "a", "question": "What is the door code?", "answer": "4000"}
{"id": "b", "question": "When does it open?", "answer": "7am"}
`

const goodOutputs = `{"id": "a", "output": "4000"}
{"id": "b", "output": "7am"}
`

// garbage returns n bytes of seeded random binary data (NULs included).
func garbage(n int) string {
	r := rand.New(rand.NewPCG(7, 11))
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.IntN(256))
	}
	b[10], b[20] = 0, 0
	return string(b)
}

// TestBadInput feeds synth one bad input at a time: each must end with exit
// status 2 and a message on stderr that names the file and line, or the
// config key, never with a panic or a stack trace.
func TestBadInput(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name  string
		files map[string]string // over the good replay project
		args  []string
		want  []string // substrings of stderr
	}{
		{
			name:  "malformed JSONL line",
			files: map[string]string{"evalset.jsonl": goodEvalSet + `{"id": "c", "question": "Where?", "answer": ` + "\n" + `{"id": "d", "question": "Why?", "answer": "x"}` + "\n"},
			want:  []string{"evalset.jsonl:3"},
		},
		{
			name:  "bad CSV quoting",
			files: map[string]string{"evalset.csv": "id,question,answer\na,What is the door code?,4000\nb,\"When does it open?,7am\nc,Where,x\n"},
			args:  []string{"--dataset", "evalset.csv"},
			want:  []string{"evalset.csv:3", "closing quote"},
		},
		{
			name:  "bad YAML eval set",
			files: map[string]string{"evalset.yaml": "- id: a\n  question: What is the door code?\n  answer: \"4000\"\n- id: b\n   question: [unclosed\n"},
			args:  []string{"--dataset", "evalset.yaml"},
			want:  []string{"evalset.yaml:5"},
		},
		{
			name:  "eval set with duplicate ids",
			files: map[string]string{"evalset.jsonl": goodEvalSet + `{"id": "a", "question": "Again?", "answer": "x"}` + "\n"},
			want:  []string{"evalset.jsonl:3", `duplicate id "a"`, "line 1"},
		},
		{
			name:  "eval set that is binary garbage",
			files: map[string]string{"evalset.jsonl": garbage(3000)},
			want:  []string{"evalset.jsonl:1"},
		},
		{
			name: "missing eval set file",
			args: []string{"--dataset", "nope.jsonl"},
			want: []string{"nope.jsonl"},
		},
		{
			name:  "unknown config key",
			files: map[string]string{"synth.yaml": replayConfig + "cache: {enabeld: false}\n"},
			want:  []string{"synth.yaml", "cache.enabeld"},
		},
		{
			name:  "unknown model key",
			files: map[string]string{"synth.yaml": strings.Replace(replayConfig, "path: outputs.jsonl", "path: outputs.jsonl, tempreature: 0", 1)},
			want:  []string{"models.mine.tempreature"},
		},
		{
			name:  "bad config value",
			files: map[string]string{"synth.yaml": strings.Replace(replayConfig, "model: mine}", "model: mine, concurrency: -3}", 1)},
			want:  []string{"synth.yaml", "eval.concurrency"},
		},
		{
			name:  "bad validator parameter",
			files: map[string]string{"synth.yaml": strings.Replace(replayConfig, "model: mine}", "model: mine, validators: [{type: f1}, {type: f1, correct: 2}]}", 1)},
			want:  []string{"eval.validators[1].correct"},
		},
		{
			name:  "config that is not YAML",
			files: map[string]string{"synth.yaml": "models:\n  mine: {provider: replay\neval: [\n"},
			want:  []string{"synth.yaml", "line"},
		},
		{
			name:  "API key written into the config",
			files: map[string]string{"synth.yaml": "models:\n  gpt: {provider: openai, model: x, api_key: sk-abcdefabcdef1234}\neval: {dataset: evalset.jsonl, model: gpt}\n"},
			want:  []string{"models.gpt.api_key", "api_key_env"},
		},
		{
			name:  "bad replay line",
			files: map[string]string{"outputs.jsonl": `{"id": "a", "output": "4000"}` + "\n" + `{"id": "b", "output": 7am}` + "\n"},
			want:  []string{"outputs.jsonl:2"},
		},
		{
			name: "unknown model",
			args: []string{"--model", "nope"},
			want: []string{`"nope"`, "mine"},
		},
		{
			name: "bad flag value",
			args: []string{"--fail-under", "1.5"},
			want: []string{"--fail-under"},
		},
		{
			name: "resume of a run that does not exist",
			args: []string{"--resume", "runs/nope"},
			want: []string{"runs/nope"},
		},
		{
			name:  "binary garbage docs",
			files: map[string]string{"synth.yaml": replayConfig + "knowledge: {docs: [\"docs/*.md\"]}\n", "docs/good.md": "# Door\n\nThe code is 4000.\n", "docs/garbage.md": garbage(5000)},
			want:  []string{"docs/garbage.md"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			files := map[string]string{"synth.yaml": replayConfig, "evalset.jsonl": goodEvalSet, "outputs.jsonl": goodOutputs}
			for k, v := range c.files {
				files[k] = v
			}
			p := newProject(t, files)
			r := p.run(append([]string{"eval", "--quiet"}, c.args...)...)
			noCrash(t, r)
			if r.code != 2 {
				t.Fatalf("want exit 2\n%s", r)
			}
			for _, w := range c.want {
				if !strings.Contains(r.stderr, w) {
					t.Errorf("stderr does not mention %q\n%s", w, r)
				}
			}
			if strings.TrimSpace(r.stdout) != "" {
				t.Errorf("a failed run printed on stdout\n%s", r)
			}
		})
	}
}
