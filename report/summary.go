package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/synth-dev/synth/dataset"
)

// Style controls terminal output.
type Style struct {
	// Color enables ANSI colours.
	Color bool
}

// labelColor is the ANSI colour of each label on a terminal.
var labelColor = map[dataset.Label]string{
	dataset.Correct:      "32",
	dataset.Partial:      "33",
	dataset.Wrong:        "31",
	dataset.Hallucinated: "35",
	dataset.Refused:      "36",
	dataset.Error:        "91",
}

func (st Style) paint(l dataset.Label, text string) string {
	if !st.Color {
		return text
	}
	return "\x1b[" + labelColor[l] + "m" + text + "\x1b[0m"
}

// WriteSummary prints a run's summary as a table: counts per label with a
// bar, accuracy, tokens, requests, cost and time.
func WriteSummary(w io.Writer, s *dataset.Summary, st Style) error {
	var b strings.Builder
	fmt.Fprintf(&b, "Run %s · model %s · %d items", TermLine(s.Run, 80), TermLine(s.Model, 60), s.Total)
	if s.Items > s.Total {
		fmt.Fprintf(&b, " of %d (interrupted: resume to finish)", s.Items)
	}
	fmt.Fprintf(&b, " · %s\n\n", formatDuration(time.Duration(s.DurationMS)*time.Millisecond))
	fmt.Fprintf(&b, "  %-13s %5s %6s\n", "label", "count", "share")
	for _, l := range dataset.Labels {
		n := s.Counts[l]
		share := 0.0
		if s.Total > 0 {
			share = float64(n) / float64(s.Total)
		}
		bar := strings.Repeat("█", int(share*30+0.5))
		fmt.Fprintf(&b, "  %s %5d %5.0f%%  %s\n", st.paint(l, fmt.Sprintf("%-13s", l)), n, share*100, st.paint(l, bar))
	}
	fmt.Fprintf(&b, "\n  accuracy %.1f%% (%d/%d)", s.Accuracy*100, s.Counts[dataset.Correct], s.Graded())
	if n := s.Counts[dataset.Error]; n > 0 {
		fmt.Fprintf(&b, ", %d not graded (error)", n)
	}
	if s.Requests == 0 && s.CacheHits == 0 && s.Usage.TotalTokens == 0 {
		b.WriteString("   no provider requests (local model)")
	} else {
		fmt.Fprintf(&b, "   tokens %d (prompt %d, completion %d)", s.Usage.TotalTokens, s.Usage.PromptTokens, s.Usage.CompletionTokens)
		fmt.Fprintf(&b, "   requests %d   cache hits %d   retries %d", s.Requests, s.CacheHits, s.Retries)
	}
	if s.CostUSD > 0 {
		fmt.Fprintf(&b, "   cost $%.4f", s.CostUSD)
	}
	b.WriteString("\n")
	_, err := io.WriteString(w, b.String())
	return err
}

func formatDuration(d time.Duration) string {
	switch {
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	case d < time.Minute:
		return fmt.Sprintf("%.1fs", d.Seconds())
	}
	return d.Round(time.Second).String()
}
