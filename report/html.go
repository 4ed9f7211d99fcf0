package report

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"slices"
	"strings"
	"time"

	"github.com/synth-dev/synth/dataset"
)

//go:embed assets/report.html.tmpl assets/report.css assets/report.js
var assets embed.FS

// HTMLOptions adjusts an HTML report.
type HTMLOptions struct {
	// Title replaces the page's title.
	Title string
	// Generated, when set, is shown as the time the report was written.
	// Leave it zero for byte-for-byte reproducible reports.
	Generated time.Time
}

var (
	pageTmpl = template.Must(template.New("report.html.tmpl").Funcs(template.FuncMap{
		"pct":  func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
		"pct0": func(f float64) string { return fmt.Sprintf("%.0f%%", f*100) },
		"num":  formatInt,
		"signed": func(d int) string {
			return signed(d)
		},
	}).ParseFS(assets, "assets/report.html.tmpl"))
	pageCSS = template.CSS(mustAsset("assets/report.css"))
	pageJS  = template.JS(mustAsset("assets/report.js"))
	// pageCSP allows the page's own script (by hash) and inline styles, and
	// nothing else: no network, no inline event handlers, no other scripts.
	pageCSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-" + scriptHash(string(pageJS)) + "'"
)

func mustAsset(name string) string {
	b, err := assets.ReadFile(name)
	if err != nil {
		panic(err) // embedded at build time: cannot be missing
	}
	return string(b)
}

func scriptHash(js string) string {
	sum := sha256.Sum256([]byte(js))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// page is what the template renders: a run or a comparison.
type page struct {
	Title     string
	CSP       string
	CSS       template.CSS
	JS        template.JS
	Generated string
	Run       *runPage
	Cmp       *cmpPage
}

type stat struct {
	Label, Value, Note string
}

type filter struct {
	Key, Name string
	Count     int
}

type runPage struct {
	Model, Run, Dataset string
	Interrupted         bool
	Stats               []stat
	Chart               chart
	Validators          []dataset.ValidatorStats
	Filters             []filter
	Rows                []row
}

type row struct {
	ID       string
	Question rich
	Gold     []rich
	Tags     []string
	Output   rich
	Label    string
	Rank     int
	Reason   rich
	Error    rich
	Latency  string
	Verdicts []verdictView
	Contexts []contextView
}

type verdictView struct {
	Validator, Score, Label string
	Reason                  rich
	Pass                    bool
	Evidence                []string
}

type contextView struct {
	Doc, Heading, Score string
	Text                rich
}

// seg is a piece of model text in an HTML report: ordinary text, or (Ctl
// set) a marker for a control or invisible character, drawn as a small
// labelled box. The template escapes both.
type seg struct {
	Text, Ctl, Title string
	r                rune // the character a marker stands for
}

// rich is text split into segments; see [richText].
type rich []seg

// richText splits s for HTML: runs of ordinary text, and a marker for each
// character that [Visible] would replace ("ESC", "BEL", "U+202E").
func richText(s string) rich {
	if s == "" {
		return nil
	}
	if isPlain(s) {
		return rich{{Text: s}}
	}
	var out rich
	walkVisible(s, func(text string) {
		if n := len(out); n > 0 && out[n-1].Ctl == "" {
			out[n-1].Text += text
			return
		}
		out = append(out, seg{Text: text})
	}, func(r rune) {
		name, what := markerName(r)
		out = append(out, seg{Ctl: name, Title: what, r: r})
	})
	return out
}

func richList(ss []string) []rich {
	var out []rich
	for _, s := range ss {
		out = append(out, richText(s))
	}
	return out
}

// HTML renders a run as report.html: one self-contained page (inline CSS,
// a small inline script, an inline SVG chart; no network) with the summary
// (model, run, eval set, accuracy with its 95% interval, tokens, cost,
// time), a chart of the labels, the validators' figures and a table of
// every item — id, question, gold answers, output, label and the reasons,
// with each verdict and the retrieved contexts in collapsible sections —
// that can be filtered by label, searched and sorted. Without JavaScript
// every row is shown. All model text is escaped by html/template, and
// control characters are made visible ([Visible]).
func HTML(s *dataset.Summary, results []dataset.Result, opts HTMLOptions) []byte {
	sum := dataset.Summarize(results)
	if s == nil {
		s = &sum
	}
	rp := &runPage{
		Model:       Visible(s.Model),
		Run:         Visible(s.Run),
		Dataset:     Visible(s.Dataset),
		Interrupted: s.Interrupted || s.Items > s.Total,
		Validators:  slices.Clone(s.Validators),
	}
	for i := range rp.Validators {
		rp.Validators[i].Name = Visible(rp.Validators[i].Name)
	}
	correct := sum.Counts[dataset.Correct]
	ci := Wilson(correct, sum.Graded())
	items := fmt.Sprintf("%d", sum.Total)
	if s.Items > sum.Total {
		items = fmt.Sprintf("%d of %d", sum.Total, s.Items)
	}
	rp.Stats = []stat{
		{"Accuracy", fmt.Sprintf("%.1f%%", sum.Accuracy*100), fmt.Sprintf("95%% CI %.1f–%.1f%% · %d correct", ci.Low*100, ci.High*100, correct)},
		{"Items", items, failing(sum)},
		{"Tokens", formatInt(s.Usage.TotalTokens), fmt.Sprintf("%s prompt · %s completion", formatInt(s.Usage.PromptTokens), formatInt(s.Usage.CompletionTokens))},
		{"Cost", costText(s.CostUSD), fmt.Sprintf("%s requests · %d retries · %d cached", formatInt(s.Requests), s.Retries, s.CacheHits)},
		{"Time", formatDuration(time.Duration(s.DurationMS) * time.Millisecond), startedText(s.Started)},
	}
	rp.Chart = labelChart(sum.Counts, sum.Total)
	rp.Filters = []filter{{Key: "all", Name: "All", Count: sum.Total}}
	for _, l := range dataset.Labels {
		rp.Filters = append(rp.Filters, filter{Key: string(l), Name: string(l), Count: sum.Counts[l]})
	}
	for _, r := range results {
		rp.Rows = append(rp.Rows, makeRow(r))
	}
	title := opts.Title
	if title == "" {
		title = "synth eval · " + orDash(s.Model)
		if s.Run != "" {
			title += " · " + s.Run
		}
	}
	return render(page{Title: Visible(title), Run: rp, Generated: generated(opts.Generated)})
}

func failing(s dataset.Summary) string {
	bad := s.Total - s.Counts[dataset.Correct]
	return fmt.Sprintf("%d not correct · %s", bad, plural(s.Counts[dataset.Error], "error"))
}

func makeRow(r dataset.Result) row {
	l := normLabel(r.Label)
	rw := row{
		ID:       Visible(r.ID),
		Question: richText(r.Question),
		Gold:     richList(r.Gold),
		Output:   richText(r.Output),
		Label:    string(l),
		Rank:     labelRank(l),
		Reason:   richText(r.Reason),
		Error:    richText(r.Error),
		Latency:  formatDuration(r.Latency()),
	}
	for _, t := range r.Tags {
		rw.Tags = append(rw.Tags, Visible(t))
	}
	for _, v := range r.Verdicts {
		vv := verdictView{Validator: Visible(v.Validator), Score: fmt.Sprintf("%.2f", v.Score), Pass: v.Pass, Label: Visible(string(v.Label)), Reason: richText(v.Reason)}
		for _, e := range v.Evidence {
			vv.Evidence = append(vv.Evidence, Visible(e))
		}
		rw.Verdicts = append(rw.Verdicts, vv)
	}
	for _, c := range r.Contexts {
		cv := contextView{Doc: Visible(c.Doc), Heading: Visible(c.Heading), Text: richText(c.Text)}
		if c.Score != 0 {
			cv.Score = fmt.Sprintf("%.2f", c.Score)
		}
		rw.Contexts = append(rw.Contexts, cv)
	}
	return rw
}

func labelRank(l dataset.Label) int {
	for i, k := range dataset.Labels {
		if k == l {
			return i
		}
	}
	return len(dataset.Labels)
}

// chart is a horizontal bar chart drawn as inline SVG.
type chart struct {
	Width, Height int
	Title         string
	Desc          string
	Rows          []bar
	Legend        []legendItem
}

type bar struct {
	// Label, when set, is written at the left at LabelY.
	Label  string
	LabelY int
	// Class is the label whose colour the bar takes.
	Class string
	Y     int
	X, W  int
	// TrackW is the width of the faint track behind the bar (100%).
	TrackW int
	Height int
	Text   string
	TextX  int
	TextY  int
	Faint  bool
	// SideLabel ("A", "B") is written just left of the bar, ending at SideLabelX.
	SideLabel  string
	SideLabelX int
}

type legendItem struct {
	Name  string
	Faint bool
	X     int
	TextX int
}

const (
	chartWidth = 640
	chartLeft  = 118
	chartBarW  = 400
)

// labelChart draws one bar per label, its length the label's share.
func labelChart(counts dataset.Counts, total int) chart {
	ch := chart{Width: chartWidth, Title: "Items per label"}
	var desc []string
	for i, l := range dataset.Labels {
		n := counts[l]
		share := 0.0
		if total > 0 {
			share = float64(n) / float64(total)
		}
		w := int(share*chartBarW + 0.5)
		if n > 0 && w < 2 {
			w = 2
		}
		y := 6 + i*30
		ch.Rows = append(ch.Rows, bar{
			Label: string(l), LabelY: y + 14, Class: string(l), Y: y, Height: 20, X: chartLeft, W: w, TrackW: chartBarW,
			Text: fmt.Sprintf("%d · %.0f%%", n, share*100), TextX: chartLeft + w + 8, TextY: y + 14,
		})
		desc = append(desc, fmt.Sprintf("%s %d", l, n))
	}
	ch.Height = 6 + len(dataset.Labels)*30
	ch.Desc = strings.Join(desc, ", ") + fmt.Sprintf(" of %d items", total)
	return ch
}

func render(p page) []byte {
	p.CSP, p.CSS, p.JS = pageCSP, pageCSS, pageJS
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, p); err != nil {
		// The template is fixed and its data are plain values: an error
		// here is a bug in this package, shown in the page rather than lost.
		return []byte("<!doctype html><meta charset=utf-8><title>synth report</title><p>report template failed: " +
			template.HTMLEscapeString(err.Error()) + "</p>\n")
	}
	return buf.Bytes()
}

func generated(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

func startedText(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return "started " + t.UTC().Format("2006-01-02 15:04 UTC")
}

func costText(usd float64) string {
	switch {
	case usd <= 0:
		return "$0"
	case usd < 0.01:
		return fmt.Sprintf("$%.4f", usd)
	}
	return fmt.Sprintf("$%.2f", usd)
}

// formatInt writes n with thin-space thousands separators: 1 234 567.
func formatInt(n int) string {
	s := fmt.Sprintf("%d", n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteString("\u202f")
		}
		b.WriteRune(c)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
