package dataset

import "fmt"

// Label is the outcome of grading one answer.
type Label string

// The labels an item can end with. See DESIGN.md: error is never a wrong answer.
const (
	// Correct: the answer matches the gold answer.
	Correct Label = "correct"
	// Partial: right, but missing information.
	Partial Label = "partial"
	// Wrong: does not match, or contradicts, the gold answer.
	Wrong Label = "wrong"
	// Hallucinated: states something the docs do not support, or invents a link.
	Hallucinated Label = "hallucinated"
	// Refused: "I don't know" or "contact support" where an answer exists.
	Refused Label = "refused"
	// Error: the model or a validator failed after retries.
	Error Label = "error"
)

// Labels lists every label in display order.
var Labels = []Label{Correct, Partial, Wrong, Hallucinated, Refused, Error}

// Valid reports whether l is one of [Labels].
func (l Label) Valid() bool {
	for _, k := range Labels {
		if l == k {
			return true
		}
	}
	return false
}

// ParseLabel returns the label named s, or an error listing the valid ones.
func ParseLabel(s string) (Label, error) {
	l := Label(s)
	if !l.Valid() {
		return "", fmt.Errorf("unknown label %q (want one of correct, partial, wrong, hallucinated, refused, error)", s)
	}
	return l, nil
}
