package spec

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParamsTypedGetters(t *testing.T) {
	p := NewParams("eval.validators[2]", map[string]any{
		"f": 0.5, "i": 3, "is": "7", "s": "x", "b": true, "bs": "false",
		"l": []any{"a", "b"}, "one": "solo", "d": "2m", "dn": 1.5, "m": map[string]any{"k": 1},
		"type": "f1",
	}, "type")
	if got := p.Float("f", 0); got != 0.5 {
		t.Errorf("Float = %v", got)
	}
	if got := p.Int("i", 0); got != 3 {
		t.Errorf("Int = %v", got)
	}
	if got := p.Int("is", 0); got != 7 {
		t.Errorf("Int from a string (env override) = %v", got)
	}
	if got := p.String("s", ""); got != "x" {
		t.Errorf("String = %v", got)
	}
	if !p.Bool("b", false) || p.Bool("bs", true) {
		t.Errorf("Bool wrong")
	}
	if got := p.Strings("l", nil); strings.Join(got, ",") != "a,b" {
		t.Errorf("Strings = %v", got)
	}
	if got := p.Strings("one", nil); len(got) != 1 || got[0] != "solo" {
		t.Errorf("Strings of one string = %v", got)
	}
	if got := p.Duration("d", 0); got != 2*time.Minute {
		t.Errorf("Duration = %v", got)
	}
	if got := p.Duration("dn", 0); got != 1500*time.Millisecond {
		t.Errorf("Duration of a number = %v", got)
	}
	if got := p.Sub("m").Int("k", 0); got != 1 {
		t.Errorf("Sub = %v", got)
	}
	if got := p.Float("absent", 0.25); got != 0.25 {
		t.Errorf("default = %v", got)
	}
	if err := p.Err(); err != nil {
		t.Errorf("Err = %v, want nil: every key was read and type is reserved", err)
	}
}

func TestParamsErrorsNameTheKeyPath(t *testing.T) {
	tests := []struct {
		name string
		read func(p *Params)
		val  any
		want string
	}{
		{"float range", func(p *Params) { p.FloatIn("x", 0.5, 0, 1) }, 1.5, "eval.validators[2].x: must be between 0 and 1, got 1.5"},
		{"not a number", func(p *Params) { p.Float("x", 0) }, "lots", `eval.validators[2].x: must be a number, got "lots"`},
		{"not an integer", func(p *Params) { p.Int("x", 0) }, 2.5, "eval.validators[2].x: must be an integer, got 2.5"},
		{"int range", func(p *Params) { p.IntIn("x", 1, 1, 10) }, 0, "eval.validators[2].x: must be between 1 and 10, got 0"},
		{"bool", func(p *Params) { p.Bool("x", false) }, "maybe", `eval.validators[2].x: must be true or false, got "maybe"`},
		{"one of", func(p *Params) { p.OneOf("x", "a", "a", "b") }, "c", `eval.validators[2].x: must be one of a, b, got "c"`},
		{"list element", func(p *Params) { p.Strings("x", nil) }, []any{"a", 3}, "eval.validators[2].x[1]: must be a string, got 3"},
		{"duration", func(p *Params) { p.Duration("x", 0) }, "soon", `eval.validators[2].x: must be a duration such as 30s or 2m, got "soon"`},
		{"map", func(p *Params) { p.Map("x") }, []any{1}, "eval.validators[2].x: must be a mapping, got a list"},
		{"string from a map", func(p *Params) { p.String("x", "") }, map[string]any{}, "eval.validators[2].x: must be a string, got a mapping"},
		{"nan", func(p *Params) { p.Float("x", 0) }, "NaN", `eval.validators[2].x: must be a number, got "NaN"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := NewParams("eval.validators[2]", map[string]any{"x": tt.val})
			tt.read(p)
			err := p.Err()
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Err = %v, want %q", err, tt.want)
			}
			var se *Error
			if !errors.As(err, &se) {
				t.Errorf("error %T is not a *spec.Error", err)
			}
		})
	}
}

func TestParamsUnknownKeysListKnownOnes(t *testing.T) {
	p := NewParams("eval", map[string]any{"modle": "x", "model": "y"})
	p.String("model", "")
	p.Int("concurrency", 4)
	err := p.Err()
	if err == nil || !strings.Contains(err.Error(), "eval.modle: unknown parameter (known: concurrency, model)") {
		t.Fatalf("Err = %v", err)
	}
}

func TestJoinAndIndex(t *testing.T) {
	if got := Index(Join(Join("", "eval"), "validators"), 2); got != "eval.validators[2]" {
		t.Errorf("got %q", got)
	}
}

func FuzzParams(f *testing.F) {
	f.Add("1.5", int64(3), true)
	f.Add("", int64(-1), false)
	f.Add("2m", int64(1<<60), true)
	f.Fuzz(func(t *testing.T, s string, n int64, b bool) {
		p := NewParams("x", map[string]any{"s": s, "n": n, "b": b, "l": []any{s, n}})
		p.FloatIn("s", 0, 0, 1)
		p.Int("n", 0)
		p.Bool("b", false)
		p.Strings("l", nil)
		p.Duration("s", 0)
		p.Map("s")
		_ = p.Err() // must not panic
	})
}

func TestOptionalKeysAreListedAsKnown(t *testing.T) {
	p := NewParams("models.gpt", map[string]any{"temprature": 0.2})
	if p.Optional("temperature") {
		t.Fatal("temperature was not given")
	}
	p.String("model", "")
	err := p.Err()
	if err == nil || !strings.Contains(err.Error(), "models.gpt.temprature: unknown parameter (known: model, temperature)") {
		t.Fatalf("Err = %v", err)
	}
}
