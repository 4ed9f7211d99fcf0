package report

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/synth-dev/synth/dataset"
)

// maxListed is how many items of each transition list the terminal shows.
const maxListed = 25

// kindColor is the ANSI colour of each transition on a terminal.
var kindColor = map[Kind]string{
	Fixed:     "32",
	Regressed: "31",
	Changed:   "33",
	Unchanged: "2",
	OnlyA:     "2",
	OnlyB:     "2",
}

func (st Style) paintCode(code, text string) string {
	if !st.Color || code == "" {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}

// WriteText prints the comparison for a terminal: both runs, counts per
// label with deltas, accuracy with 95% intervals, the fixed, regressed and
// changed items (id, labels, short question), the McNemar test with its
// verdict, the per-tag table and the notes. Model text is printed through
// [TermLine], so escape codes and control characters in it cannot reach
// the terminal.
func (c *Comparison) WriteText(w io.Writer, st Style) error {
	var b strings.Builder
	bold := func(s string) string { return st.paintCode("1", s) }
	dim := func(s string) string { return st.paintCode("2", s) }

	b.WriteString(bold("synth compare") + "\n")
	for _, s := range []struct {
		name string
		side Side
	}{{"A", c.A}, {"B", c.B}} {
		fmt.Fprintf(&b, "  %s  %s  model %s  %s  %s",
			bold(s.name), TermLine(s.side.Run, 60), TermLine(orDash(s.side.Model), 40),
			TermLine(orDash(s.side.Dataset), 60), plural(s.side.Total, "item"))
		if s.side.Interrupted {
			b.WriteString(" (interrupted)")
		}
		b.WriteByte('\n')
	}

	fmt.Fprintf(&b, "\n  %-13s %6s %6s %6s\n", "label", "A", "B", "Δ")
	for _, r := range c.Labels {
		fmt.Fprintf(&b, "  %s %6d %6d %s\n", st.paint(r.Label, fmt.Sprintf("%-13s", r.Label)), r.A, r.B, st.paintCode(deltaColor(r.Label, r.Delta), fmt.Sprintf("%6s", signed(r.Delta))))
	}
	fmt.Fprintf(&b, "\n  accuracy (95%% CI)  A %s   B %s   Δ %s\n", accText(c.A), accText(c.B),
		st.paintCode(deltaColor(dataset.Correct, sign(c.AccuracyDelta)), fmt.Sprintf("%+.1f pts", c.AccuracyDelta*100)))
	if c.Paired.Graded != c.A.Total || c.Paired.Graded != c.B.Total {
		fmt.Fprintf(&b, "  on the %d items graded in both runs: A %.1f%%, B %.1f%%\n", c.Paired.Graded, c.Paired.AAccuracy*100, c.Paired.BAccuracy*100)
	}

	fmt.Fprintf(&b, "\n  %d paired items: %s · %s · %s · %s\n", c.Paired.Items,
		st.paintCode(kindColor[Fixed], fmt.Sprintf("%d fixed", c.Transitions[Fixed])),
		st.paintCode(kindColor[Regressed], fmt.Sprintf("%d regressed", c.Transitions[Regressed])),
		st.paintCode(kindColor[Changed], fmt.Sprintf("%d changed", c.Transitions[Changed])),
		fmt.Sprintf("%d unchanged", c.Transitions[Unchanged]))

	idWidth := 4
	for _, t := range c.Items {
		if t.Kind == Fixed || t.Kind == Regressed || t.Kind == Changed {
			idWidth = max(idWidth, min(utf8.RuneCountInString(TermLine(t.ID, 0)), 28))
		}
	}
	for _, k := range []Kind{Fixed, Regressed, Changed} {
		n := c.Transitions[k]
		if n == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n  %s\n", st.paintCode(kindColor[k], fmt.Sprintf("%s (%d)", k, n)))
		shown := 0
		for _, t := range c.Items {
			if t.Kind != k {
				continue
			}
			if shown == maxListed {
				fmt.Fprintf(&b, "    %s\n", dim(fmt.Sprintf("… and %d more (see --json or report.html)", n-shown)))
				break
			}
			shown++
			move := fmt.Sprintf("%s → %s", t.A.Label, t.B.Label)
			fmt.Fprintf(&b, "    %s  %s  %s\n", padRunes(TermLine(t.ID, 28), idWidth),
				padRunes(move, 27), TermLine(t.Question, 70))
		}
	}

	m := c.McNemar
	fmt.Fprintf(&b, "\n  McNemar exact test on the %s whose correctness changed (%d fixed, %d regressed): %s\n",
		plural(m.Fixed+m.Regressed, "item"), m.Fixed, m.Regressed, pText(m.P))
	vc := ""
	switch {
	case m.Significant && m.Fixed > m.Regressed:
		vc = "1;32"
	case m.Significant:
		vc = "1;31"
	}
	fmt.Fprintf(&b, "  → %s\n", st.paintCode(vc, c.Verdict))

	if len(c.Tags) > 0 {
		tw := 3
		for _, t := range c.Tags {
			tw = max(tw, min(utf8.RuneCountInString(TermLine(t.Tag, 0)), 24))
		}
		fmt.Fprintf(&b, "\n  %s %4s %7s %7s %6s %10s %7s\n", padRunes("tag", tw), "n", "A acc", "B acc", "fixed", "regressed", "p")
		for _, t := range c.Tags {
			fmt.Fprintf(&b, "  %s %4d %6.0f%% %6.0f%% %6d %10d %7s\n", padRunes(TermLine(t.Tag, 24), tw), t.Items,
				t.AAccuracy*100, t.BAccuracy*100, t.McNemar.Fixed, t.McNemar.Regressed, FormatP(t.McNemar.P))
		}
		if len(c.Tags) > 1 {
			b.WriteString("  " + dim("(per-tag tests on few items rarely reach p<0.05; with many tags, some will by chance)") + "\n")
		}
	}

	if len(c.Notes) > 0 {
		b.WriteString("\n  notes:\n")
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "  - %s\n", TermLine(n, 0))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func accText(s Side) string {
	return fmt.Sprintf("%.1f%% [%.1f–%.1f]", s.Accuracy*100, s.CI.Low*100, s.CI.High*100)
}

// deltaColor is green when a change is good (more correct, fewer of any
// other label), red when bad.
func deltaColor(l dataset.Label, d int) string {
	switch {
	case d == 0:
		return "2"
	case (d > 0) == (l == dataset.Correct):
		return "32"
	}
	return "31"
}

func sign(f float64) int {
	switch {
	case f > 1e-12:
		return 1
	case f < -1e-12:
		return -1
	}
	return 0
}

func signed(d int) string {
	if d == 0 {
		return "·"
	}
	return fmt.Sprintf("%+d", d)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// padRunes pads s with spaces to n runes.
func padRunes(s string, n int) string {
	if k := utf8.RuneCountInString(s); k < n {
		return s + strings.Repeat(" ", n-k)
	}
	return s
}
