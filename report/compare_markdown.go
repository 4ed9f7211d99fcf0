package report

import (
	"fmt"
	"strings"
)

// CompareMarkdown renders a comparison as Markdown: both runs, counts per
// label with deltas, accuracy with 95% Wilson intervals, the McNemar test
// and its verdict, the per-tag table, and the fixed, regressed and changed
// items with their outputs before and after.
func CompareMarkdown(c *Comparison) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# synth compare: %s → %s\n\n", mdText(orDash(c.A.Model)), mdText(orDash(c.B.Model)))
	b.WriteString("| | run | model | eval set | items | accuracy (95% CI) |\n|---|---|---|---|---:|---|\n")
	for _, s := range []struct {
		name string
		side Side
	}{{"A (before)", c.A}, {"B (after)", c.B}} {
		run := mdCode(s.side.Run)
		if s.side.Interrupted {
			run += " (interrupted)"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %.1f%% [%.1f%%, %.1f%%] |\n", s.name, run, mdText(orDash(s.side.Model)),
			mdCode(orDash(s.side.Dataset)), s.side.Total, s.side.Accuracy*100, s.side.CI.Low*100, s.side.CI.High*100)
	}

	fmt.Fprintf(&b, "\n**%s**\n\n", mdText(upperFirst(c.Verdict)))
	m := c.McNemar
	fmt.Fprintf(&b, "Accuracy changed by %+.1f points. Of %s, %d were fixed, %d regressed, %d moved between labels that are not correct and %d kept their label. ",
		c.AccuracyDelta*100, plural(c.Paired.Items, "paired item"), c.Transitions[Fixed], c.Transitions[Regressed], c.Transitions[Changed], c.Transitions[Unchanged])
	fmt.Fprintf(&b, "Exact McNemar test on the %d fixed and %d regressed items: %s.\n", m.Fixed, m.Regressed, pText(m.P))

	b.WriteString("\n## Labels\n\n| label | A | B | Δ |\n|---|---:|---:|---:|\n")
	for _, r := range c.Labels {
		fmt.Fprintf(&b, "| %s | %d | %d | %s |\n", r.Label, r.A, r.B, signed(r.Delta))
	}

	if len(c.Tags) > 0 {
		b.WriteString("\n## By tag\n\n| tag | paired | A accuracy | B accuracy | fixed | regressed | changed | p |\n|---|---:|---:|---:|---:|---:|---:|---:|\n")
		for _, t := range c.Tags {
			fmt.Fprintf(&b, "| %s | %d | %.0f%% | %.0f%% | %d | %d | %d | %s |\n", mdText(t.Tag), t.Items, t.AAccuracy*100, t.BAccuracy*100,
				t.Transitions[Fixed], t.Transitions[Regressed], t.Transitions[Changed], FormatP(t.McNemar.P))
		}
	}

	for _, k := range []Kind{Fixed, Regressed, Changed} {
		if c.Transitions[k] == 0 {
			continue
		}
		fmt.Fprintf(&b, "\n## %s (%d)\n\n| id | question | A | B | output in A | output in B |\n|---|---|---|---|---|---|\n", upperFirst(string(k)), c.Transitions[k])
		for _, t := range c.Items {
			if t.Kind != k {
				continue
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdText(t.ID), mdText(clip(t.Question, 120)), t.A.Label, t.B.Label,
				mdText(clip(t.A.Output, 200)), mdText(clip(t.B.Output, 200)))
		}
	}
	for _, k := range []Kind{OnlyA, OnlyB} {
		ids := c.OnlyA
		if k == OnlyB {
			ids = c.OnlyB
		}
		if len(ids) == 0 {
			continue
		}
		quoted := make([]string, len(ids))
		for i, id := range ids {
			quoted[i] = mdCode(id)
		}
		fmt.Fprintf(&b, "\n**Only in %s** (%d): %s\n", strings.ToUpper(strings.TrimPrefix(string(k), "only_")), len(ids), strings.Join(quoted, ", "))
	}
	if len(c.Notes) > 0 {
		b.WriteString("\n## Notes\n\n")
		for _, n := range c.Notes {
			fmt.Fprintf(&b, "- %s\n", mdText(n))
		}
	}
	return []byte(b.String())
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
