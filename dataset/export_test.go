package dataset

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	goldenfile "github.com/synth-dev/synth/internal/golden"
)

// golden compares got with the golden file at path, or rewrites it with -update.
func golden(t *testing.T, path string, got []byte) {
	t.Helper()
	goldenfile.Check(t, path, got)
}

// exportRecords are two generated rows: one with a rejected answer for DPO,
// one without.
func exportRecords() []Record {
	return []Record{
		{
			Sample: Sample{
				ID:       "gen-1",
				Question: "How long is a password reset link valid?",
				Answer:   "A reset link expires after 30 minutes and works once.",
				Contexts: []Chunk{{ID: "c1", Doc: "docs/account/password.md", Heading: "Account > Reset your password",
					Text: "Reset links expire after 30 minutes and can be used only once."}},
				Tags: []string{"account"},
				Provenance: Provenance{FailedItem: "password-link-expired", Generator: "qa", Round: 2,
					Chunks: []string{"c1"}, Docs: []string{"docs/account/password.md"}},
			},
			Verdicts: []Verdict{
				{Validator: "grounded", Score: 0.92, Pass: true, Reason: "every claim is in c1", Evidence: []string{"c1"}},
				{Validator: "decontaminate", Score: 0.2, Pass: true},
			},
			RejectedAnswer: "Sorry, I don't understand. Please contact support.",
		},
		{
			Sample: Sample{
				ID:         "gen-2",
				Question:   "Where do I find my invoices? <script>x</script>",
				Answer:     "Open Billing > Invoices & download the PDF.",
				Provenance: Provenance{FailedItem: "invoices", Generator: "builtin", Round: 1},
			},
			Verdicts: []Verdict{{Validator: "grounded", Score: 1, Pass: true}},
		},
	}
}

func TestExportGolden(t *testing.T) {
	opts := map[string]ExportOptions{
		"plain":           {},
		"system+contexts": {System: "You are Nimbus's support assistant.", Contexts: true},
	}
	for _, f := range Formats {
		for name, opt := range opts {
			t.Run(string(f)+"/"+name, func(t *testing.T) {
				var buf bytes.Buffer
				n, err := Export(&buf, f, exportRecords(), opt)
				if err != nil {
					t.Fatal(err)
				}
				wantN := 2
				if f == DPO {
					wantN = 1
				}
				if n != wantN || bytes.Count(buf.Bytes(), []byte{'\n'}) != wantN {
					t.Errorf("wrote %d rows, want %d", n, wantN)
				}
				golden(t, filepath.Join("testdata", "export", string(f)+"."+strings.ReplaceAll(name, "+", "_")+".jsonl"), buf.Bytes())
			})
		}
	}
}

func TestNativeExportRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "synthetic.jsonl")
	var buf bytes.Buffer
	if _, err := Export(&buf, Native, exportRecords(), ExportOptions{}); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	got, torn, err := ReadJSONL[Record](path)
	if err != nil || torn != nil {
		t.Fatal(err, torn)
	}
	want := exportRecords()
	if len(got) != len(want) || got[0].Provenance.Round != 2 || got[0].RejectedAnswer != want[0].RejectedAnswer ||
		got[0].Verdicts[0].Evidence[0] != "c1" || got[1].Question != want[1].Question || !got[1].Accepted() {
		t.Errorf("round trip lost data: %+v", got)
	}
}

func TestParseFormat(t *testing.T) {
	tests := []struct {
		in   string
		want Format
		err  string
	}{
		{"native", Native, ""},
		{"JSONL", Native, ""},
		{" openai ", OpenAI, ""},
		{"chat", OpenAI, ""},
		{"alpaca", Alpaca, ""},
		{"ShareGPT", ShareGPT, ""},
		{"lamini", Lamini, ""},
		{"dpo", DPO, ""},
		{"csv", "", `unknown export format "csv" (want one of native, openai, alpaca, sharegpt, lamini, dpo)`},
		{"", "", `unknown export format "" (want one of native, openai, alpaca, sharegpt, lamini, dpo)`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFormat(tt.in)
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Errorf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil || got != tt.want {
				t.Errorf("got %q, %v", got, err)
			}
		})
	}
}

func TestExportDPOSkipsUnpairable(t *testing.T) {
	r := exportRecords()[0]
	r.RejectedAnswer = "  " + r.Answer + " "
	if _, ok, err := ExportRecord(DPO, r, ExportOptions{}); ok || err != nil {
		t.Errorf("a rejected answer equal to the chosen one must be skipped: ok=%v err=%v", ok, err)
	}
	if _, _, err := ExportRecord(Format("nope"), r, ExportOptions{}); err == nil {
		t.Error("unknown format: no error")
	}
}
