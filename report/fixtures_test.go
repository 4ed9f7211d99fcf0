package report

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	goldenfile "github.com/synth-dev/synth/internal/golden"

	"github.com/synth-dev/synth/dataset"
)

// Hostile strings that model output may contain; reports must show them as
// inert text.
const (
	hostileScript = `<script>alert(1)</script>`
	hostileImg    = `"><img src=x onerror=alert(1)>`
	hostileANSI   = "\x1b[31mRED\x1b[0m"
	hostileRTL    = "invoice\u202Efdp.exe"
	hostileZW     = "pass\u200Bword"
)

// hostileOutput is one model output holding every hostile string and a
// 10,000-character line.
var hostileOutput = "Click here: " + hostileScript + " or " + hostileImg + "\n" + hostileANSI + " " + hostileRTL + " " + hostileZW +
	"\n" + strings.Repeat("x", 10000)

func verdicts(label dataset.Label, pass bool, reason string) []dataset.Verdict {
	score := 0.2
	if pass {
		score = 0.93
	}
	return []dataset.Verdict{
		{Validator: "f1", Score: score, Pass: pass, Label: label, Reason: reason},
		{Validator: "links", Score: 1, Pass: true, Reason: "no links"},
	}
}

func res(id, q string, gold []string, tags []string, out string, l dataset.Label, reason string) dataset.Result {
	r := dataset.Result{ID: id, Question: q, Gold: gold, Tags: tags, Output: out, Label: l, Reason: reason,
		Verdicts: verdicts(l, l == dataset.Correct, reason), LatencyMS: 420,
		Usage: dataset.Usage{PromptTokens: 300, CompletionTokens: 60, TotalTokens: 360}}
	if l == dataset.Error {
		r.Error = "model: 503 Service Unavailable after 4 retries"
		r.Verdicts = nil
		r.Reason = ""
	}
	return r
}

// fixtureRuns returns a hand-made pair of runs with known transitions:
//
//	password-forgot        wrong        → correct       fixed
//	password-link-expired  hallucinated → correct       fixed
//	password-no-email      partial      → partial       unchanged
//	2fa-setup              correct      → correct       unchanged
//	2fa-lost-phone         refused      → correct       fixed
//	billing-refund         correct      → wrong         regressed
//	billing-invoice        wrong        → partial       changed
//	export-data            error        → correct       fixed
//	delete-account         hallucinated → hallucinated  unchanged (hostile output)
//	legacy-sso             only in A
//	team-invite            only in B
func fixtureRuns() (a, b *dataset.Run) {
	pw := []string{"password"}
	sec := []string{"security", "2fa"}
	bill := []string{"billing"}
	gold := func(s ...string) []string { return s }
	ra := []dataset.Result{
		res("password-forgot", "forgot my password, what do i do", gold("Go to https://nimbus.example/reset and follow the e-mailed link."), pw,
			"Enter your username and we'll e-mail you a temporary password.", dataset.Wrong, "f1 0.21 < 0.40: does not match the gold answer"),
		res("password-link-expired", "The reset link in my email says it's expired??", gold("Reset links expire after 30 minutes; request a new one."), pw,
			"Links are valid for 24 hours: see https://nimbus.example/help/links.", dataset.Hallucinated, "links: https://nimbus.example/help/links is not in the docs"),
		res("password-no-email", "I still haven't received any email", gold("Check spam; up to 3 e-mails per hour."), pw,
			"Check your spam folder.", dataset.Partial, "f1 0.52: missing the hourly limit"),
		res("2fa-setup", "How do I turn on 2-step verification?", gold("Settings > Security > Two-factor authentication."), sec,
			"Go to Settings > Security > Two-factor authentication and click Turn on.", dataset.Correct, "f1 0.91"),
		res("2fa-lost-phone", "I lost my phone and can't log in", gold("Use a backup code.", "Use one of your recovery codes."), sec,
			"Sorry, I don't understand.", dataset.Refused, "refusal: the docs answer this"),
		res("billing-refund", "Can I get a refund?", gold("Yes, within 14 days of purchase."), bill,
			"Yes, within 14 days of purchase.", dataset.Correct, "exact match"),
		res("billing-invoice", "Where are my invoices?", gold("Billing > Invoices."), bill,
			"In your e-mail.", dataset.Wrong, "f1 0.10"),
		res("export-data", "How do I export my data?", gold("Settings > Data > Export."), nil,
			"", dataset.Error, ""),
		res("delete-account", "How do I delete my account?", gold("Settings > Account > Delete account."), nil,
			hostileOutput, dataset.Hallucinated, "links: "+hostileScript+" is not in the docs"),
		res("legacy-sso", "Does SSO work with SAML 1.1?", gold("No, SAML 2.0 only."), sec,
			"No.", dataset.Partial, "f1 0.45"),
	}
	rb := []dataset.Result{
		res("password-forgot", "forgot my password, what do i do", gold("Go to https://nimbus.example/reset and follow the e-mailed link."), pw,
			"Go to https://nimbus.example/reset and follow the link we e-mail you.", dataset.Correct, "f1 0.88"),
		res("password-link-expired", "The reset link in my email says it's expired??", gold("Reset links expire after 30 minutes; request a new one."), pw,
			"Reset links expire after 30 minutes; request a new one.", dataset.Correct, "exact match"),
		res("password-no-email", "I still haven't received any email", gold("Check spam; up to 3 e-mails per hour."), pw,
			"Check your spam or junk folder.", dataset.Partial, "f1 0.55: missing the hourly limit"),
		res("2fa-setup", "How do I turn on 2-step verification?", gold("Settings > Security > Two-factor authentication."), sec,
			"Settings > Security > Two-factor authentication.", dataset.Correct, "exact match"),
		res("2fa-lost-phone", "I lost my phone and can't log in", gold("Use a backup code.", "Use one of your recovery codes."), sec,
			"Use one of your recovery codes.", dataset.Correct, "exact match"),
		res("billing-refund", "Can I get a refund?", gold("Yes, within 14 days of purchase."), bill,
			"Refunds are not possible.", dataset.Wrong, "f1 0.12: contradicts the gold answer"),
		res("billing-invoice", "Where are my invoices?", gold("Billing > Invoices."), bill,
			"Under Billing.", dataset.Partial, "f1 0.50"),
		res("export-data", "How do I export my data?", gold("Settings > Data > Export."), nil,
			"Settings > Data > Export.", dataset.Correct, "exact match"),
		res("delete-account", "How do I delete my account?", gold("Settings > Account > Delete account."), nil,
			hostileOutput, dataset.Hallucinated, "links: "+hostileScript+" is not in the docs"),
		res("team-invite", "How do I invite a teammate?", gold("Team > Invite."), nil,
			"Team > Invite.", dataset.Correct, "exact match"),
	}
	ra[0].Contexts = []dataset.Chunk{{ID: "c1", Doc: "docs/account/reset-password.md", Heading: "Account > Reset your password", Text: "Go to https://nimbus.example/reset.\nThe link expires after 30 minutes.", Score: 0.81}}
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	mk := func(id, model string, results []dataset.Result) *dataset.Run {
		s := dataset.Summarize(results)
		s.Run, s.Model, s.Dataset = id, model, "evalset.jsonl"
		s.Items, s.Started, s.Finished, s.DurationMS = len(results), start, start.Add(12*time.Second), 12345
		s.Requests, s.CostUSD = len(results), 0.0123
		return &dataset.Run{
			RunDir:   dataset.RunDir{ID: id, Path: filepath.Join("runs", id)},
			Manifest: &dataset.Manifest{Version: 1, Run: id, Kind: "eval", Model: model, Dataset: "evalset.jsonl", DatasetHash: "sha256:abc"},
			Summary:  &s,
			Results:  results,
		}
	}
	return mk("20260102-030405-base", "base", ra), mk("20260102-031000-tuned", "tuned", rb)
}

// golden compares got with testdata/name, or rewrites it with -update.
func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	goldenfile.Check(t, filepath.Join("testdata", name), got)
}
