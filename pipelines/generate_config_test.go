package pipelines

import (
	"context"
	"errors"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

// stageTestEnv has docs (a searcher) and no LLM.
func stageTestEnv() StageEnv {
	return StageEnv{Search: fixedSearch(testChunks())}
}

func parseStages(t testing.TB, src string) []map[string]any {
	t.Helper()
	var raw any
	if err := yaml.Unmarshal([]byte(src), &raw); err != nil {
		t.Fatal(err)
	}
	entries, err := DecodeStages("generate.stages", raw)
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

func TestBuildStagesErrorsNameTheKeyPath(t *testing.T) {
	cases := []struct {
		name, yaml string
		env        func(*StageEnv)
		want       []string
	}{
		{"typo with suggestion", "[{type: retrieve}, {type: builtin}, {type: format}, {type: groundd}]", nil,
			[]string{`generate.stages[3].type: unknown stage "groundd": did you mean "grounded"? (one of retrieve; generators builtin, evolve, paraphrase, qa; validators `}},
		{"unknown without suggestion", "[{type: retrieve}, {type: builtin}, {type: magic}]", nil,
			[]string{`generate.stages[2].type: unknown stage "magic" (one of retrieve;`}},
		{"missing type", "[{type: retrieve}, {k: 3}]", nil, []string{"generate.stages[1].type: missing stage type"}},
		{"bad generator param", "[{type: retrieve}, {type: builtin, n: -2}]", nil, []string{"generate.stages[1].n: must be between 0 and 100, got -2"}},
		{"unknown validator param", "[{type: retrieve}, {type: builtin}, {type: length, answer_max: 10, colour: red}]", nil,
			[]string{"generate.stages[2].colour: unknown parameter"}},
		{"bad retrieve param", "[{type: retrieve, k: 0}, {type: builtin}]", nil, []string{"generate.stages[0].k: must be between 1 and 50, got 0"}},
		{"generator before retrieve", "[{type: builtin}, {type: retrieve}]", nil,
			[]string{"generate.stages[0].type: generator builtin comes before any retrieve stage"}},
		{"transform first", "[{type: retrieve}, {type: paraphrase}, {type: builtin}]", nil,
			[]string{"generate.stages[1].type: paraphrase rewrites the candidates of earlier generator stages, but none comes before it"}},
		{"validator before generator", "[{type: retrieve}, {type: format}, {type: builtin}]", nil,
			[]string{"generate.stages[1].type: validator format comes before any generator"}},
		{"no generator", "[{type: retrieve}]", nil, []string{"generate.stages: has no generator stage"}},
		{"qa without a model", "[{type: retrieve}, {type: qa}]", nil, []string{"generate.stages[1].type: qa needs an LLM: set generate.model"}},
		{"answerable without a judge", "[{type: retrieve}, {type: builtin}, {type: answerable}]", nil,
			[]string{"generate.stages[2].type: answerable needs a judge model"}},
		{"retrieve without docs", "[{type: retrieve}, {type: builtin}]", func(e *StageEnv) { e.Search = nil },
			[]string{"generate.stages[0].type: retrieve needs help docs"}},
		{"several problems at once", "[{type: retrieve, k: 99}, {type: builtin}, {type: dedupe, rouge_l: 2}, {type: nope}]", nil,
			[]string{"generate.stages[0].k:", "generate.stages[2].rouge_l: must be between 0.01 and 1, got 2", `generate.stages[3].type: unknown stage "nope"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			env := stageTestEnv()
			if c.env != nil {
				c.env(&env)
			}
			_, err := BuildStages("generate.stages", parseStages(t, c.yaml), env)
			if err == nil {
				t.Fatal("no error")
			}
			var se *spec.Error
			if !errors.As(err, &se) {
				t.Fatalf("error %v is not a *spec.Error (exit status 2)", err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
		})
	}
}

func TestDecodeStagesShapes(t *testing.T) {
	entries := parseStages(t, `
- {type: retrieve, k: 3}
- builtin: {n: 4}
- format
- {type: dedupe, name: dedupe-strict, rouge_l: 0.7}
`)
	stages, err := BuildStages("generate.stages", entries, stageTestEnv())
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range stages {
		got = append(got, s.Name+"/"+string(s.Kind))
	}
	want := "retrieve/retrieve builtin/generator format/validator dedupe-strict/validator decontaminate/validator"
	if strings.Join(got, " ") != want {
		t.Fatalf("stages %s\nwant   %s", strings.Join(got, " "), want)
	}
	if stages[0].K != 3 || stages[3].Accepter == nil || !stages[4].Implicit {
		t.Fatalf("k %d, dedupe accepter %v, decontaminate implicit %v", stages[0].K, stages[3].Accepter, stages[4].Implicit)
	}
	for _, bad := range []struct{ yaml, want string }{
		{"{type: retrieve}", "generate.stages: must be a list of stages"},
		{"[[1, 2]]", "generate.stages[0]: must be a mapping such as {type: grounded}"},
	} {
		var raw any
		if err := yaml.Unmarshal([]byte(bad.yaml), &raw); err != nil {
			t.Fatal(err)
		}
		_, err := DecodeStages("generate.stages", raw)
		if err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%s: err = %v, want %q", bad.yaml, err, bad.want)
		}
	}
}

func TestDecontaminateAlwaysRunsAndCanBeTuned(t *testing.T) {
	stages, err := BuildStages("generate.stages", parseStages(t, "[{type: retrieve}, {type: builtin}]"), stageTestEnv())
	if err != nil {
		t.Fatal(err)
	}
	last := stages[len(stages)-1]
	if last.Type != "decontaminate" || !last.Implicit {
		t.Fatalf("last stage %+v, want the implicit decontaminate", last)
	}
	stages, err = BuildStages("generate.stages", parseStages(t, "[{type: retrieve}, {type: builtin}, {type: decontaminate, question_rouge_l: 0.6}, {type: format}]"), stageTestEnv())
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range stages {
		if s.Type == "decontaminate" {
			n++
			if s.Implicit {
				t.Fatal("a listed decontaminate must be used as listed")
			}
		}
	}
	if n != 1 {
		t.Fatalf("%d decontaminate stages, want 1", n)
	}
}

func TestDefaultStagesBuild(t *testing.T) {
	for _, offline := range []bool{true, false} {
		entries := DefaultStages(offline)
		want := "qa"
		if offline {
			want = "builtin"
		}
		if entries[1]["type"] != want {
			t.Fatalf("offline=%v: generator %v", offline, entries[1]["type"])
		}
	}
	if _, err := BuildStages("generate.stages", DefaultStages(true), stageTestEnv()); err != nil {
		t.Fatal(err)
	}
}

func TestDecodeGenerateConfig(t *testing.T) {
	base := func(gen map[string]any) *Config {
		c, err := ParseConfig(map[string]any{
			"models":   map[string]any{"base": map[string]any{"provider": "builtin"}},
			"eval":     map[string]any{"concurrency": 6, "judge": "base", "system_prompt": "Be nice."},
			"generate": gen,
		}, "/proj")
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	g, err := DecodeGenerateConfig(base(nil))
	if err != nil {
		t.Fatal(err)
	}
	if g.PerFailure != 3 || g.MaxRounds != 4 || g.Concurrency != 6 || g.Out != "/proj/data/synthetic.jsonl" || g.Format != dataset.Native ||
		g.Judge != "base" || g.SystemPrompt != "Be nice." || g.Stages != nil || len(g.Labels) != 5 {
		t.Fatalf("defaults %+v", g)
	}
	g, err = DecodeGenerateConfig(base(map[string]any{"per_failure": 5, "labels": []any{"refused", "Wrong"}, "format": "chat", "out": "x.jsonl",
		"stages": []any{map[string]any{"type": "retrieve"}, map[string]any{"type": "builtin"}}}))
	if err != nil {
		t.Fatal(err)
	}
	if g.PerFailure != 5 || g.Format != dataset.OpenAI || g.Out != "/proj/x.jsonl" || len(g.Labels) != 2 || g.Labels[1] != dataset.Wrong || len(g.Stages) != 2 {
		t.Fatalf("%+v", g)
	}
	_, err = DecodeGenerateConfig(base(map[string]any{"per_failure": 0, "labels": []any{"bad"}, "format": "xml", "model": "gpt", "max_round": 3}))
	for _, want := range []string{
		"generate.per_failure: must be between 1 and 100, got 0",
		`generate.labels[0]: unknown label "bad"`,
		`generate.format: unknown export format "xml"`,
		`generate.model: no model named "gpt" under models: (have base)`,
		"generate.max_round: unknown parameter",
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("err = %v\nwant %q", err, want)
		}
	}
}

// FuzzStageConfig: any YAML for generate.stages either builds or fails with
// configuration errors naming a generate.stages key path — never a panic.
func FuzzStageConfig(f *testing.F) {
	for _, s := range []string{
		"[{type: retrieve, k: 4}, {type: builtin}, {type: format}, {type: grounded}]",
		"[{type: retrieve}, {builtin: {n: 3}}, format, {type: dedupe, rouge_l: 0.5}]",
		"[{type: groundd}]", "{}", "[[]]", "[{type: 3}]", "[{type: retrieve, k: [1]}]",
		"[{type: retrieve}, {type: paraphrase, n: 99}]", "- null\n- {type: length, question_min: 9, question_max: 1}",
		"[{type: retrieve, query: nope}, {type: evolve, ops: [x]}]", "[{type: retrieve}, {type: builtin, name: ''}]",
	} {
		f.Add(s)
	}
	env := stageTestEnv()
	f.Fuzz(func(t *testing.T, src string) {
		var raw any
		if yaml.Unmarshal([]byte(src), &raw) != nil {
			return
		}
		entries, err := DecodeStages("generate.stages", raw)
		if err != nil {
			checkConfigErr(t, err)
			return
		}
		stages, err := BuildStages("generate.stages", entries, env)
		if err != nil {
			checkConfigErr(t, err)
			return
		}
		if len(stages) == 0 || stages[len(stages)-1].Kind != StageValidator {
			t.Fatalf("built %d stages without the final decontaminate", len(stages))
		}
		// The built pipeline runs.
		g := &Generate{Stages: stages, MaxRounds: 1, Search: env.Search}
		_, _ = g.Item(context.Background(), Target{Failure: testFailure("f1"), Want: 1}, ItemState{}, &memSink{})
	})
}

func checkConfigErr(t *testing.T, err error) {
	t.Helper()
	var se *spec.Error
	if !errors.As(err, &se) {
		t.Fatalf("error %q is not a configuration error", err)
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		if !strings.HasPrefix(line, "generate.stages") {
			t.Fatalf("error line %q does not name a generate.stages key path", line)
		}
	}
}
