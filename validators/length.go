package validators

import (
	"context"
	"fmt"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

var lengthSpec = spec.Spec{
	Name:    "length",
	Summary: "Data check: the question and the answer each have a number of words within bounds.",
	Description: `Counts words (runs of non-space characters) in the question and in the answer and fails
a sample whose question or answer is shorter or longer than the bounds. Generated rows
that are one word long, or whole pages pasted as an answer, make poor training data.

Catches: question "Password?" (1 word, below question_min 3); an answer of 900 words
(above answer_max 300).`,
	Params: []spec.Param{
		{Name: "question_min", Type: "int", Default: "3", Description: "fewest words in the question"},
		{Name: "question_max", Type: "int", Default: "80", Description: "most words in the question"},
		{Name: "answer_min", Type: "int", Default: "3", Description: "fewest words in the answer"},
		{Name: "answer_max", Type: "int", Default: "300", Description: "most words in the answer"},
	},
	Example: "{type: length, question_min: 3, question_max: 60, answer_min: 5, answer_max: 250}",
}

func lengthEntry() Entry { return Entry{Spec: lengthSpec, Role: Data, New: newLength} }

func newLength(p *spec.Params, _ Deps) (Validator, error) {
	v := lengthValidator{
		qMin: p.IntIn("question_min", 3, 0, 100000),
		qMax: p.IntIn("question_max", 80, 1, 100000),
		aMin: p.IntIn("answer_min", 3, 0, 100000),
		aMax: p.IntIn("answer_max", 300, 1, 1000000),
	}
	if v.qMin > v.qMax {
		p.Fail("question_min", "must not be above question_max (%d), got %d", v.qMax, v.qMin)
	}
	if v.aMin > v.aMax {
		p.Fail("answer_min", "must not be above answer_max (%d), got %d", v.aMax, v.aMin)
	}
	return v, p.Err()
}

type lengthValidator struct{ qMin, qMax, aMin, aMax int }

func (lengthValidator) Name() string { return lengthSpec.Name }

func (v lengthValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	q, a := len(strings.Fields(s.Question)), len(strings.Fields(s.Answer))
	var problems []string
	switch {
	case q < v.qMin:
		problems = append(problems, fmt.Sprintf("question too short: %d words (min %d)", q, v.qMin))
	case q > v.qMax:
		problems = append(problems, fmt.Sprintf("question too long: %d words (max %d)", q, v.qMax))
	}
	switch {
	case a < v.aMin:
		problems = append(problems, fmt.Sprintf("answer too short: %d words (min %d)", a, v.aMin))
	case a > v.aMax:
		problems = append(problems, fmt.Sprintf("answer too long: %d words (max %d)", a, v.aMax))
	}
	if len(problems) > 0 {
		return dataset.Verdict{Validator: lengthSpec.Name, Score: 0, Pass: false, Reason: strings.Join(problems, "; ")}, nil
	}
	return dataset.Verdict{Validator: lengthSpec.Name, Score: 1, Pass: true,
		Reason: fmt.Sprintf("question %d words, answer %d words: within bounds", q, a)}, nil
}
