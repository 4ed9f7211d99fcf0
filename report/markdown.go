package report

import (
	"fmt"
	"strings"
	"time"

	"github.com/synth-dev/synth/dataset"
)

// Markdown renders a run as report.md: the summary, per-validator figures
// and one row per item with its label and the reason for it.
func Markdown(s *dataset.Summary, results []dataset.Result) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "# synth eval: %s\n\n", mdText(s.Model))
	fmt.Fprintf(&b, "- run: %s\n- dataset: %s\n- items: %d", mdCode(s.Run), mdCode(s.Dataset), s.Total)
	if s.Items > s.Total {
		fmt.Fprintf(&b, " of %d (interrupted; `synth eval --resume` finishes it)", s.Items)
	}
	fmt.Fprintf(&b, "\n- accuracy: **%.1f%%** (%d correct of %d graded", s.Accuracy*100, s.Counts[dataset.Correct], s.Graded())
	if n := s.Counts[dataset.Error]; n > 0 {
		fmt.Fprintf(&b, "; %d labelled error are not graded", n)
	}
	b.WriteString(")\n")
	fmt.Fprintf(&b, "- time: %s; tokens: %d; requests: %d; cache hits: %d; retries: %d",
		formatDuration(time.Duration(s.DurationMS)*time.Millisecond), s.Usage.TotalTokens, s.Requests, s.CacheHits, s.Retries)
	if s.CostUSD > 0 {
		fmt.Fprintf(&b, "; est. cost: $%.4f", s.CostUSD)
	}
	b.WriteString("\n\n## Labels\n\n| label | count | share |\n|---|---:|---:|\n")
	for _, l := range dataset.Labels {
		share := 0.0
		if s.Total > 0 {
			share = float64(s.Counts[l]) / float64(s.Total) * 100
		}
		fmt.Fprintf(&b, "| %s | %d | %.0f%% |\n", l, s.Counts[l], share)
	}
	if len(s.Validators) > 0 {
		b.WriteString("\n## Validators\n\n| validator | graded | passed | mean score |\n|---|---:|---:|---:|\n")
		for _, v := range s.Validators {
			fmt.Fprintf(&b, "| %s | %d | %d | %.2f |\n", mdText(v.Name), v.Graded, v.Passed, v.MeanScore)
		}
	}
	b.WriteString("\n## Items\n\n| id | label | question | output | why |\n|---|---|---|---|---|\n")
	for _, r := range results {
		why := r.Reason
		if r.Error != "" && why == "" {
			why = r.Error
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", mdText(r.ID), mdText(string(r.Label)), mdText(clip(r.Question, 160)), mdText(clip(r.Output, 240)), mdText(clip(why, 240)))
	}
	return []byte(b.String())
}

// mdText makes text safe inside a Markdown table cell: control and
// invisible characters made visible (see [Visible]), no line breaks, pipes
// escaped, HTML shown as text rather than rendered, and no link or image
// syntax, so a model's output cannot plant a link in the report.
func mdText(s string) string {
	return mdEscaper.Replace(Visible(s))
}

var mdEscaper = strings.NewReplacer("\r\n", " ", "\n", " ", "\r", " ", "\t", " ", "|", `\|`, "<", "&lt;", ">", "&gt;", "&", "&amp;",
	"`", "\\`", "[", `\[`, "]", `\]`)

// mdCode shows s as inline code (run ids, paths), choosing a fence that s
// does not contain.
func mdCode(s string) string {
	s = strings.Join(strings.Fields(Visible(s)), " ")
	if s == "" {
		return "-"
	}
	fence := "`"
	for strings.Contains(s, fence) {
		fence += "`"
	}
	pad := ""
	if strings.HasPrefix(s, "`") || strings.HasSuffix(s, "`") {
		pad = " "
	}
	return fence + pad + strings.ReplaceAll(s, "|", `\|`) + pad + fence
}

// clip shortens s to at most n runes, marking the cut.
func clip(s string, n int) string {
	s = strings.TrimSpace(s)
	if len([]rune(s)) <= n {
		return s
	}
	return string([]rune(s)[:n-1]) + "…"
}
