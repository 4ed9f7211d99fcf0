package report

import (
	"encoding/xml"
	"fmt"
	"strings"

	"github.com/synth-dev/synth/dataset"
)

// JUnit XML elements, as CI systems (GitHub Actions test reporters, GitLab,
// Jenkins) read them.
type (
	junitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Time     string       `xml:"time,attr"`
		Suites   []junitSuite `xml:"testsuite"`
	}
	junitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []junitProperty `xml:"properties>property,omitempty"`
		Cases      []junitCase     `xml:"testcase"`
	}
	junitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	junitCase struct {
		ClassName string        `xml:"classname,attr"`
		Name      string        `xml:"name,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *junitProblem `xml:"failure,omitempty"`
		Error     *junitProblem `xml:"error,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	junitProblem struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Body    string `xml:",cdata"`
	}
)

// JUnit renders a run as JUnit XML for CI: one testsuite for the run, one
// testcase per item (classname: the item's tags joined by ",", or "synth";
// name: the item id). A correct item passes; an item labelled error is an
// <error>; every other label is a <failure message="label: reason"> whose
// body holds the question, the gold answers, the output and each
// validator's verdict. Text is made XML 1.0-safe: characters XML forbids
// and escape codes are shown as in [Visible].
func JUnit(s *dataset.Summary, results []dataset.Result) []byte {
	if s == nil {
		sum := dataset.Summarize(results)
		s = &sum
	}
	suite := junitSuite{
		Name:  xmlText(suiteName(s)),
		Tests: len(results),
		Time:  seconds(s.DurationMS),
		Properties: []junitProperty{
			{Name: "run", Value: xmlText(s.Run)},
			{Name: "model", Value: xmlText(s.Model)},
			{Name: "dataset", Value: xmlText(s.Dataset)},
			{Name: "accuracy", Value: fmt.Sprintf("%.4f", s.Accuracy)},
		},
		Cases: make([]junitCase, 0, len(results)),
	}
	if !s.Started.IsZero() {
		suite.Timestamp = s.Started.UTC().Format("2006-01-02T15:04:05")
	}
	for _, r := range results {
		tc := junitCase{ClassName: "synth", Name: xmlText(r.ID), Time: seconds(r.LatencyMS)}
		if len(r.Tags) > 0 {
			tc.ClassName = xmlText(strings.Join(r.Tags, ","))
		}
		label := normLabel(r.Label)
		switch label {
		case dataset.Correct:
		case dataset.Error:
			msg := r.Error
			if msg == "" {
				msg = r.Reason
			}
			tc.Error = &junitProblem{Message: xmlText(clip("error: "+TermLine(msg, 0), 300)), Type: string(label), Body: xmlText(caseBody(r))}
			suite.Errors++
		default:
			tc.Failure = &junitProblem{Message: xmlText(clip(string(label)+": "+TermLine(r.Reason, 0), 300)), Type: string(label), Body: xmlText(caseBody(r))}
			suite.Failures++
		}
		suite.Cases = append(suite.Cases, tc)
	}
	doc := junitSuites{Name: "synth", Tests: suite.Tests, Failures: suite.Failures, Errors: suite.Errors, Time: suite.Time, Suites: []junitSuite{suite}}
	// The document holds only strings and ints, so encoding cannot fail.
	out, _ := xml.MarshalIndent(doc, "", "  ")
	return append([]byte(xml.Header), append(out, '\n')...)
}

func suiteName(s *dataset.Summary) string {
	name := "synth eval"
	if s.Model != "" {
		name += " " + s.Model
	}
	if s.Run != "" {
		name += " (" + s.Run + ")"
	}
	return name
}

// caseBody is a failed item's details, one field per paragraph.
func caseBody(r dataset.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\nquestion: %s\n", r.Question)
	switch len(r.Gold) {
	case 0:
		b.WriteString("gold: (none)\n")
	case 1:
		fmt.Fprintf(&b, "gold: %s\n", r.Gold[0])
	default:
		b.WriteString("gold (any of):\n")
		for _, g := range r.Gold {
			fmt.Fprintf(&b, "  - %s\n", g)
		}
	}
	fmt.Fprintf(&b, "output: %s\n", r.Output)
	fmt.Fprintf(&b, "label: %s\n", normLabel(r.Label))
	if r.Reason != "" {
		fmt.Fprintf(&b, "reason: %s\n", r.Reason)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "error: %s\n", r.Error)
	}
	if len(r.Verdicts) > 0 {
		b.WriteString("verdicts:\n")
		for _, v := range r.Verdicts {
			pass := "fail"
			if v.Pass {
				pass = "pass"
			}
			fmt.Fprintf(&b, "  - %s: %s, score %.2f", v.Validator, pass, v.Score)
			if v.Label != "" {
				fmt.Fprintf(&b, ", label %s", v.Label)
			}
			if v.Reason != "" {
				fmt.Fprintf(&b, ": %s", v.Reason)
			}
			b.WriteByte('\n')
		}
	}
	return b.String()
}

// xmlText makes s safe for XML 1.0: control characters that XML forbids
// (and ANSI escapes, bidi controls, invisible characters) are shown as in
// [Visible]; the encoder escapes the rest.
func xmlText(s string) string {
	s = Visible(s)
	// Visible keeps tabs and newlines (allowed in XML) and replaces every
	// other C0 control; U+FFFE and U+FFFF are the remaining forbidden ones.
	if strings.ContainsAny(s, "\uFFFE\uFFFF") {
		s = strings.NewReplacer("\uFFFE", "⟨U+FFFE⟩", "\uFFFF", "⟨U+FFFF⟩").Replace(s)
	}
	return s
}

func seconds(ms int64) string {
	return fmt.Sprintf("%.3f", float64(ms)/1000)
}
