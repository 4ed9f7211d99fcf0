package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

type cmpPage struct {
	A, B         sideView
	Verdict      string
	VerdictClass string
	Explain      string
	Stats        []stat
	Chart        chart
	CI           ciPlot
	Tags         []tagView
	Notes        []string
	Filters      []filter
	Rows         []cmpRow
}

type sideView struct {
	Name, Run, Model, Dataset string
	Interrupted               bool
}

type tagView struct {
	Tag                        string
	Items                      int
	AAccuracy, BAccuracy       float64
	Fixed, Regressed, Changed  int
	P                          string
	Significant, Better, Worse bool
}

type cmpRow struct {
	ID       string
	Question rich
	Gold     []rich
	Tags     []string
	Kind     string
	KindName string
	Rank     int
	A, B     *outcomeView
}

type outcomeView struct {
	Label          string
	Output, Reason rich
}

// ciPlot draws each run's accuracy with its 95% interval on a 0–100% axis.
type ciPlot struct {
	Width, Height, AxisY, Left, Right int
	Desc                              string
	Ticks                             []tick
	Rows                              []ciRow
}

type tick struct {
	X    int
	Text string
}

type ciRow struct {
	Name, Text    string
	Y, X1, X2, XP int
	TextX, TextY  int
	NameY         int
	CapTop        int
	CapBottom     int
	Anchor        string
	Faint         bool
}

var kindNames = map[Kind]string{
	Fixed: "fixed", Regressed: "regressed", Changed: "changed", Unchanged: "unchanged", OnlyA: "only in A", OnlyB: "only in B",
}

// CompareHTML renders a comparison as one self-contained page (no network):
// the verdict in plain words, both runs' accuracy with 95% intervals, the
// McNemar test, label counts before and after as an inline SVG chart, the
// per-tag table, and every item's transition (labels and outputs before
// and after) in a table that can be filtered by transition, searched and
// sorted (what changed first). All model text is escaped.
func CompareHTML(c *Comparison, opts HTMLOptions) []byte {
	cp := &cmpPage{
		A:       sideView{Name: "A", Run: Visible(c.A.Run), Model: Visible(orDash(c.A.Model)), Dataset: Visible(c.A.Dataset), Interrupted: c.A.Interrupted},
		B:       sideView{Name: "B", Run: Visible(c.B.Run), Model: Visible(orDash(c.B.Model)), Dataset: Visible(c.B.Dataset), Interrupted: c.B.Interrupted},
		Verdict: upperFirst(c.Verdict),
	}
	m := c.McNemar
	switch {
	case m.Significant && m.Fixed > m.Regressed:
		cp.VerdictClass = "good"
	case m.Significant:
		cp.VerdictClass = "bad"
	default:
		cp.VerdictClass = "neutral"
	}
	cp.Explain = fmt.Sprintf("Exact McNemar test on the %s whose correctness changed: %d fixed, %d regressed (%s, two-sided). Items that kept their correctness say nothing about the difference.",
		plural(m.Fixed+m.Regressed, "paired item"), m.Fixed, m.Regressed, pText(m.P))
	cp.Stats = []stat{
		{"Accuracy A", fmt.Sprintf("%.1f%%", c.A.Accuracy*100), fmt.Sprintf("95%% CI %.1f–%.1f%% · %d of %d", c.A.CI.Low*100, c.A.CI.High*100, c.A.Counts[dataset.Correct], c.A.Total)},
		{"Accuracy B", fmt.Sprintf("%.1f%%", c.B.Accuracy*100), fmt.Sprintf("95%% CI %.1f–%.1f%% · %d of %d", c.B.CI.Low*100, c.B.CI.High*100, c.B.Counts[dataset.Correct], c.B.Total)},
		{"Change", fmt.Sprintf("%+.1f pts", c.AccuracyDelta*100), fmt.Sprintf("%d paired items", c.Paired.Items)},
		{"Fixed / regressed", fmt.Sprintf("%d / %d", c.Transitions[Fixed], c.Transitions[Regressed]), fmt.Sprintf("%d changed · %d unchanged", c.Transitions[Changed], c.Transitions[Unchanged])},
		{"McNemar p", FormatP(m.P), "exact, two-sided"},
	}
	cp.Chart = compareChart(c)
	cp.CI = accuracyPlot(c)
	for _, t := range c.Tags {
		cp.Tags = append(cp.Tags, tagView{
			Tag: Visible(t.Tag), Items: t.Items, AAccuracy: t.AAccuracy, BAccuracy: t.BAccuracy,
			Fixed: t.Transitions[Fixed], Regressed: t.Transitions[Regressed], Changed: t.Transitions[Changed],
			P: FormatP(t.McNemar.P), Significant: t.McNemar.Significant,
			Better: t.BCorrect > t.ACorrect, Worse: t.BCorrect < t.ACorrect,
		})
	}
	for _, n := range c.Notes {
		cp.Notes = append(cp.Notes, Visible(n))
	}
	cp.Filters = []filter{{Key: "all", Name: "All", Count: len(c.Items)}}
	for _, k := range Kinds {
		if (k == OnlyA || k == OnlyB) && c.Transitions[k] == 0 {
			continue
		}
		cp.Filters = append(cp.Filters, filter{Key: string(k), Name: kindNames[k], Count: c.Transitions[k]})
	}
	for _, t := range c.Items {
		r := cmpRow{ID: Visible(t.ID), Question: richText(t.Question), Gold: richList(t.Gold), Kind: string(t.Kind), KindName: kindNames[t.Kind], Rank: kindRank(t.Kind)}
		for _, tag := range t.Tags {
			r.Tags = append(r.Tags, Visible(tag))
		}
		if t.A != nil {
			r.A = &outcomeView{Label: string(t.A.Label), Output: richText(t.A.Output), Reason: richText(t.A.Reason)}
		}
		if t.B != nil {
			r.B = &outcomeView{Label: string(t.B.Label), Output: richText(t.B.Output), Reason: richText(t.B.Reason)}
		}
		cp.Rows = append(cp.Rows, r)
	}
	// What changed comes first: fixed, regressed, changed, then the rest,
	// each in the runs' order.
	slices.SortStableFunc(cp.Rows, func(x, y cmpRow) int { return x.Rank - y.Rank })
	title := opts.Title
	if title == "" {
		title = fmt.Sprintf("synth compare · %s → %s", orDash(c.A.Model), orDash(c.B.Model))
	}
	return render(page{Title: Visible(title), Cmp: cp, Generated: generated(opts.Generated)})
}

func kindRank(k Kind) int {
	for i, x := range Kinds {
		if x == k {
			return i
		}
	}
	return len(Kinds)
}

// compareChart draws two bars per label, A (faint) over B (solid), each
// the label's share of its run.
func compareChart(c *Comparison) chart {
	ch := chart{Width: chartWidth, Title: "Items per label, before (A) and after (B)"}
	ch.Legend = []legendItem{
		{Name: "A · " + TermLine(orDash(c.A.Model), 24), Faint: true, X: chartLeft, TextX: chartLeft + 18},
		{Name: "B · " + TermLine(orDash(c.B.Model), 24), X: chartLeft + 220, TextX: chartLeft + 238},
	}
	var desc []string
	y := 34
	for _, l := range dataset.Labels {
		for i, s := range []Side{c.A, c.B} {
			n := s.Counts[l]
			share := 0.0
			if s.Total > 0 {
				share = float64(n) / float64(s.Total)
			}
			w := int(share*chartBarW + 0.5)
			if n > 0 && w < 2 {
				w = 2
			}
			b := bar{Class: string(l), Y: y, Height: 12, X: chartLeft, W: w, TrackW: chartBarW, Faint: i == 0,
				Text: fmt.Sprintf("%d", n), TextX: chartLeft + w + 6, TextY: y + 10, SideLabel: []string{"A", "B"}[i], SideLabelX: chartLeft - 8}
			if i == 0 {
				b.Label, b.LabelY = string(l), y+18
			}
			ch.Rows = append(ch.Rows, b)
			y += 14
		}
		desc = append(desc, fmt.Sprintf("%s %d → %d", l, c.A.Counts[l], c.B.Counts[l]))
		y += 12
	}
	ch.Height = y
	ch.Desc = strings.Join(desc, ", ")
	return ch
}

// accuracyPlot draws both accuracies with their 95% Wilson intervals.
func accuracyPlot(c *Comparison) ciPlot {
	const left, right = 60, 600
	p := ciPlot{Width: chartWidth, Height: 104, AxisY: 84, Left: left, Right: right}
	x := func(f float64) int { return left + int(f*float64(right-left)+0.5) }
	for _, v := range []float64{0, 0.25, 0.5, 0.75, 1} {
		p.Ticks = append(p.Ticks, tick{X: x(v), Text: fmt.Sprintf("%.0f%%", v*100)})
	}
	var desc []string
	for i, s := range []Side{c.A, c.B} {
		name := []string{"A", "B"}[i]
		r := ciRow{Name: name, Y: 24 + i*32, X1: x(s.CI.Low), X2: x(s.CI.High), XP: x(s.Accuracy), Faint: i == 0,
			Text: fmt.Sprintf("%.1f%% [%.1f–%.1f]", s.Accuracy*100, s.CI.Low*100, s.CI.High*100)}
		r.TextY, r.NameY, r.CapTop, r.CapBottom = r.Y+4, r.Y+5, r.Y-6, r.Y+6
		switch {
		case r.X2 < right-150:
			r.TextX, r.Anchor = r.X2+10, "start"
		case r.X1 > left+150:
			r.TextX, r.Anchor = r.X1-10, "end"
		default: // a wide interval: write above the point
			r.TextX, r.Anchor, r.TextY = r.XP, "middle", r.Y-9
		}
		p.Rows = append(p.Rows, r)
		desc = append(desc, fmt.Sprintf("%s: %s", name, r.Text))
	}
	p.Desc = "Accuracy with 95% Wilson intervals. " + strings.Join(desc, "; ")
	return p
}
