package report

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/synth-dev/synth/dataset"
)

type parsedSuites struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Errors   int `xml:"errors,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Tests int    `xml:"tests,attr"`
		Cases []struct {
			ClassName string `xml:"classname,attr"`
			Name      string `xml:"name,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
				Body    string `xml:",chardata"`
			} `xml:"failure"`
			Error *struct {
				Message string `xml:"message,attr"`
				Body    string `xml:",chardata"`
			} `xml:"error"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func TestJUnit(t *testing.T) {
	a, _ := fixtureRuns()
	out := JUnit(a.Summary, a.Results)
	golden(t, "junit.golden.xml", out)

	var doc parsedSuites
	if err := xml.Unmarshal(out, &doc); err != nil {
		t.Fatalf("not valid XML: %v", err)
	}
	if doc.Tests != 10 || doc.Failures != 7 || doc.Errors != 1 || len(doc.Suites) != 1 || len(doc.Suites[0].Cases) != 10 {
		t.Fatalf("counts: tests %d failures %d errors %d suites %d", doc.Tests, doc.Failures, doc.Errors, len(doc.Suites))
	}
	byName := map[string]int{}
	for i, c := range doc.Suites[0].Cases {
		byName[c.Name] = i
	}
	cases := doc.Suites[0].Cases
	for _, tc := range []struct {
		id, class, kind, message string
	}{
		{"2fa-setup", "security,2fa", "pass", ""},
		{"password-forgot", "password", "failure", "wrong: f1 0.21 < 0.40: does not match the gold answer"},
		{"export-data", "synth", "error", "error: model: 503 Service Unavailable after 4 retries"},
		{"delete-account", "synth", "failure", "hallucinated: links: <script>alert(1)</script> is not in the docs"},
	} {
		t.Run(tc.id, func(t *testing.T) {
			c := cases[byName[tc.id]]
			if c.Name != tc.id || c.ClassName != tc.class {
				t.Errorf("name %q classname %q", c.Name, c.ClassName)
			}
			switch tc.kind {
			case "pass":
				if c.Failure != nil || c.Error != nil {
					t.Error("a correct item fails")
				}
			case "failure":
				if c.Failure == nil || c.Failure.Message != tc.message {
					t.Fatalf("failure = %+v, want message %q", c.Failure, tc.message)
				}
				for _, want := range []string{"question: ", "gold: ", "output: ", "verdicts:"} {
					if !strings.Contains(c.Failure.Body, want) {
						t.Errorf("failure body lacks %q", want)
					}
				}
			case "error":
				if c.Error == nil || c.Error.Message != tc.message {
					t.Errorf("error = %+v, want message %q", c.Error, tc.message)
				}
			}
		})
	}
	// The hostile output keeps its text, with the escape made visible.
	body := cases[byName["delete-account"]].Failure.Body
	if !strings.Contains(body, hostileScript) || !strings.Contains(body, "␛[31mRED") || strings.ContainsRune(body, 0x1b) {
		t.Errorf("hostile output not kept as visible text: %.200q", body)
	}
}

// TestJUnitForbiddenCharacters feeds every character XML 1.0 forbids, and
// invalid UTF-8, through every field: the document must stay well-formed.
func TestJUnitForbiddenCharacters(t *testing.T) {
	var bad strings.Builder
	for r := rune(0); r < 0x20; r++ {
		bad.WriteRune(r)
	}
	bad.WriteString("\x7f\u0085\ufffe\uffff\xff\xfe]]><![CDATA[&lt;\u2028")
	s := bad.String()
	r := dataset.Result{ID: s, Question: s, Gold: []string{s}, Tags: []string{s}, Output: s, Label: dataset.Wrong, Reason: s,
		Verdicts: []dataset.Verdict{{Validator: s, Reason: s, Label: dataset.Wrong}}}
	e := r
	e.Label, e.Error = dataset.Error, s
	sum := dataset.Summarize([]dataset.Result{r, e})
	sum.Model, sum.Run, sum.Dataset = s, s, s
	out := JUnit(&sum, []dataset.Result{r, e})
	if !utf8.Valid(out) {
		t.Fatal("output is not valid UTF-8")
	}
	dec := xml.NewDecoder(bytes.NewReader(out))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("not well-formed XML: %v\n%s", err, out)
		}
	}
	var doc parsedSuites
	if err := xml.Unmarshal(out, &doc); err != nil || doc.Failures != 1 || doc.Errors != 1 {
		t.Fatalf("decode: %v, %+v", err, doc)
	}
}

func TestJUnitWithoutSummary(t *testing.T) {
	a, _ := fixtureRuns()
	out := JUnit(nil, a.Results)
	var doc parsedSuites
	if err := xml.Unmarshal(out, &doc); err != nil || doc.Tests != 10 {
		t.Fatalf("decode: %v, tests %d", err, doc.Tests)
	}
}

func FuzzJUnit(f *testing.F) {
	f.Add("id", "question?", "gold", "output", "wrong", "reason")
	f.Add("\x00\x1b[31m", "<script>", "]]>", "\xff\xfe", "error", "\ufffe")
	f.Add("", "", "", "", "", "")
	f.Fuzz(func(t *testing.T, id, q, gold, out, label, reason string) {
		r := dataset.Result{ID: id, Question: q, Gold: []string{gold}, Tags: []string{gold}, Output: out, Label: dataset.Label(label), Reason: reason, Error: reason}
		doc := JUnit(nil, []dataset.Result{r})
		dec := xml.NewDecoder(bytes.NewReader(doc))
		for {
			_, err := dec.Token()
			if err == io.EOF {
				return
			}
			if err != nil {
				t.Fatalf("not well-formed XML: %v\n%q", err, doc)
			}
		}
	})
}
