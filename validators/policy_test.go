package validators

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

func out(role Role, name string, l dataset.Label, pass bool) Outcome {
	return Outcome{Role: role, Verdict: dataset.Verdict{Validator: name, Label: l, Pass: pass, Reason: name + " says " + string(l)}}
}

func TestPolicyDecide(t *testing.T) {
	def := DefaultPolicy()
	failed := out(Answer, "judge", "", false)
	failed.Err = errors.New("model unreachable")
	failed.Verdict.Label = dataset.Error
	tests := []struct {
		name   string
		policy Policy
		outs   []Outcome
		want   dataset.Label
		reason string
	}{
		// Rule 1: error first.
		{"validator error beats everything", def, []Outcome{out(Answer, "f1", dataset.Correct, true), out(Check, "refusal", dataset.Refused, false), failed}, dataset.Error, "model unreachable"},
		{"error even when not in precedence", Policy{Precedence: []dataset.Label{dataset.Refused}}, []Outcome{failed}, dataset.Error, ""},
		{"error label from a verdict", def, []Outcome{out(Data, "dedupe", dataset.Error, false)}, dataset.Error, ""},
		// Rule 2: check labels in precedence order.
		{"refused beats hallucinated", def, []Outcome{out(Answer, "f1", dataset.Correct, true), out(Check, "links", dataset.Hallucinated, false), out(Check, "refusal", dataset.Refused, false)}, dataset.Refused, "refusal says"},
		{"hallucinated overrides a correct answer", def, []Outcome{out(Answer, "f1", dataset.Correct, true), out(Check, "links", dataset.Hallucinated, false)}, dataset.Hallucinated, "links"},
		{"wrong number overrides correct", def, []Outcome{out(Answer, "match", dataset.Correct, true), out(Check, "numbers", dataset.Wrong, false)}, dataset.Wrong, "numbers"},
		{"unlisted check label ignored", Policy{Precedence: []dataset.Label{dataset.Refused}, Combine: CombineBest}, []Outcome{out(Answer, "f1", dataset.Correct, true), out(Check, "links", dataset.Hallucinated, false)}, dataset.Correct, ""},
		{"custom order", Policy{Precedence: []dataset.Label{dataset.Hallucinated, dataset.Refused}}, []Outcome{out(Check, "refusal", dataset.Refused, false), out(Check, "links", dataset.Hallucinated, false)}, dataset.Hallucinated, ""},
		{"answer role labels are not checks", def, []Outcome{out(Answer, "f1", dataset.Wrong, false), out(Answer, "contains", dataset.Correct, true)}, dataset.Correct, ""},
		{"check with no opinion", def, []Outcome{out(Answer, "f1", dataset.Partial, false), out(Check, "links", "", true)}, dataset.Partial, ""},
		// Rule 3: combining answer labels.
		{"best", def, []Outcome{out(Answer, "a", dataset.Wrong, false), out(Answer, "b", dataset.Partial, false)}, dataset.Partial, "b says"},
		{"worst", Policy{Combine: CombineWorst}, []Outcome{out(Answer, "a", dataset.Correct, true), out(Answer, "b", dataset.Partial, false)}, dataset.Partial, ""},
		{"majority", Policy{Combine: CombineMajority}, []Outcome{out(Answer, "a", dataset.Correct, true), out(Answer, "b", dataset.Wrong, false), out(Answer, "c", dataset.Correct, true)}, dataset.Correct, "a: a says correct; c: c says correct"},
		{"majority tie goes to the worse", Policy{Combine: CombineMajority}, []Outcome{out(Answer, "a", dataset.Correct, true), out(Answer, "b", dataset.Wrong, false)}, dataset.Wrong, ""},
		{"answer without label skipped", Policy{Combine: CombineWorst}, []Outcome{out(Answer, "a", dataset.Correct, true), out(Answer, "b", "", true)}, dataset.Correct, ""},
		// Rule 4: no opinion.
		{"nothing to say, all passed", def, []Outcome{out(Check, "links", "", true), out(Data, "length", "", true)}, dataset.Correct, "no validator found a fault"},
		{"nothing to say, a data check failed", def, []Outcome{out(Data, "length", "", false)}, dataset.Wrong, "length failed"},
		{"no validators", def, nil, dataset.Correct, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := tt.policy.Decide(tt.outs)
			if d.Label != tt.want {
				t.Errorf("label %q, want %q (reason %q)", d.Label, tt.want, d.Reason)
			}
			if !strings.Contains(d.Reason, tt.reason) {
				t.Errorf("reason %q does not contain %q", d.Reason, tt.reason)
			}
		})
	}
}

func TestDecodePolicy(t *testing.T) {
	tests := []struct {
		name string
		cfg  map[string]any
		want Policy
		err  []string
	}{
		{"empty is default", nil, DefaultPolicy(), nil},
		{"custom", map[string]any{"precedence": []any{"error", "refused", "hallucinated"}, "combine": "worst"},
			Policy{Precedence: []dataset.Label{dataset.Error, dataset.Refused, dataset.Hallucinated}, Combine: CombineWorst}, nil},
		{"error may be omitted", map[string]any{"precedence": []any{"hallucinated"}},
			Policy{Precedence: []dataset.Label{dataset.Hallucinated}, Combine: CombineBest}, nil},
		{"unknown label", map[string]any{"precedence": []any{"error", "bogus"}}, Policy{}, []string{`eval.policy.precedence[1]: unknown label "bogus"`}},
		{"correct not allowed", map[string]any{"precedence": []any{"correct"}}, Policy{}, []string{"eval.policy.precedence[0]: correct cannot be imposed"}},
		{"duplicate", map[string]any{"precedence": []any{"refused", "refused"}}, Policy{}, []string{"eval.policy.precedence[1]: refused listed twice"}},
		{"error not first", map[string]any{"precedence": []any{"refused", "error"}}, Policy{}, []string{"eval.policy.precedence[1]: error must come first"}},
		{"not a list of strings", map[string]any{"precedence": []any{"refused", 3}}, Policy{}, []string{"eval.policy.precedence[1]: must be a string"}},
		{"bad combine", map[string]any{"combine": "avg"}, Policy{}, []string{`eval.policy.combine: must be one of best, worst, majority, got "avg"`}},
		{"unknown key", map[string]any{"combin": "best"}, Policy{}, []string{"eval.policy.combin: unknown parameter"}},
		{"errors together", map[string]any{"precedence": []any{"bogus"}, "combine": "avg"}, Policy{}, []string{"precedence[0]", "combine"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := DecodePolicy(spec.NewParams("eval.policy", tt.cfg))
			if len(tt.err) > 0 {
				if err == nil {
					t.Fatalf("no error, got %+v", got)
				}
				for _, w := range tt.err {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q does not contain %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Combine != tt.want.Combine || strings.Join(labels(got.Precedence), ",") != strings.Join(labels(tt.want.Precedence), ",") {
				t.Errorf("got %+v, want %+v", got, tt.want)
			}
		})
	}
}

func labels(ls []dataset.Label) []string {
	out := make([]string, len(ls))
	for i, l := range ls {
		out[i] = string(l)
	}
	return out
}

// failing is a validator that always fails, for Run.
type failing struct{ err error }

func (failing) Name() string { return "failing" }
func (f failing) Validate(context.Context, *dataset.Sample) (dataset.Verdict, error) {
	return dataset.Verdict{}, f.err
}

func TestRun(t *testing.T) {
	vs := []Built{
		build(t, map[string]any{"type": "f1"}, Deps{}),
		{Validator: failing{errors.New("judge: HTTP 500 after 4 retries")}, Role: Answer},
	}
	s := &dataset.Sample{Answer: "Paris", References: []string{"Paris"}}
	outs, err := Run(context.Background(), vs, s)
	if err != nil {
		t.Fatal(err)
	}
	if len(outs) != 2 || outs[0].Verdict.Label != dataset.Correct || outs[1].Verdict.Label != dataset.Error || outs[1].Verdict.Validator != "failing" {
		t.Fatalf("outcomes %+v", outs)
	}
	d := DefaultPolicy().Decide(outs)
	if d.Label != dataset.Error || !strings.Contains(d.Reason, "HTTP 500") {
		t.Fatalf("decision %+v", d)
	}
	if vs := Verdicts(outs); len(vs) != 2 || vs[1].Reason == "" {
		t.Fatalf("verdicts %+v", vs)
	}
	// Cancellation is not an error label: the item is retried later.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Run(ctx, vs, s); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled run: %v", err)
	}
}

func FuzzDecodePolicy(f *testing.F) {
	for _, s := range []string{
		`{"precedence":["error","refused","hallucinated"],"combine":"best"}`,
		`{"precedence":["refused","error"],"combine":"majority"}`,
		`{"precedence":"refused","combine":3}`,
		`{"precedence":["correct","wrong","wrong"],"extra":1}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var m map[string]any
		if json.Unmarshal([]byte(src), &m) != nil {
			return
		}
		pol, err := DecodePolicy(spec.NewParams("eval.policy", m))
		if err != nil {
			if !strings.Contains(err.Error(), "eval.policy") {
				t.Fatalf("error without its key path: %v", err)
			}
			return
		}
		// A decoded policy decides every mix of outcomes with a valid label.
		outs := []Outcome{
			{Role: Answer, Verdict: dataset.Verdict{Validator: "a", Label: dataset.Wrong}},
			{Role: Check, Verdict: dataset.Verdict{Validator: "b", Label: dataset.Refused}},
			{Role: Check, Verdict: dataset.Verdict{Validator: "c", Label: dataset.Error}, Err: errors.New("x")},
		}
		for i := range outs {
			if d := pol.Decide(outs[:i]); !d.Label.Valid() {
				t.Fatalf("policy %+v decided %q for %d outcomes", pol, d.Label, i)
			}
		}
	})
}

// FuzzBuild builds validators from arbitrary config entries (the
// eval.validators list of synth.yaml) and runs the ones that build: bad
// parameters are errors naming their key path, never panics.
func FuzzBuild(f *testing.F) {
	for _, s := range []string{
		`{"type":"f1","correct":0.8,"partial":0.4}`,
		`{"type":"regex","pattern":"(unclosed"}`,
		`{"type":"regex","pattern":"^a+$","name":"r","role":"check"}`,
		`{"type":"contains","values":["x",1]}`,
		`{"type":"rouge_l","correct":2}`,
		`{"type":"match","role":"nope"}`,
		`{"type":"refusal","phrases":[]}`,
		`{"type":"judge"}`,
		`{"type":"numbers"}`,
		`{"type":"links","allow":["*"]}`,
		`{"type":"exact","name":""}`,
		`{"type":7}`,
	} {
		f.Add(s)
	}
	reg := Builtin()
	sample := &dataset.Sample{ID: "q1", Question: "How do I reset my password?", Answer: "Go to Settings > Password and click Reset (see https://help.example.com/reset).", References: []string{"Settings > Password, then Reset."}}
	f.Fuzz(func(t *testing.T, src string) {
		var m map[string]any
		if json.Unmarshal([]byte(src), &m) != nil || m == nil {
			return
		}
		b, err := reg.Build("eval.validators[0]", m, Deps{})
		if err != nil {
			if !strings.Contains(err.Error(), "eval.validators[0]") {
				t.Fatalf("error without its key path: %v", err)
			}
			return
		}
		outs, err := Run(context.Background(), []Built{b}, sample)
		if err != nil {
			t.Fatalf("run: %v", err)
		}
		if len(outs) != 1 {
			t.Fatalf("%d outcomes for one validator", len(outs))
		}
		if l := outs[0].Verdict.Label; l != "" && !l.Valid() {
			t.Fatalf("outcome with label %q: %+v", l, outs[0])
		}
	})
}
