//go:build linux

package report

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
)

// hostileResult is an item whose every field is hostile, id included.
func hostileResult() dataset.Result {
	r := res(`x"><svg onload=alert(3)>`, "</textarea><script>alert(2)</script> how do I pay?", []string{`<img src=x onerror=alert(4)>`}, []string{"<b>bold</b>"},
		hostileOutput, dataset.Hallucinated, "grounded: \x1b]8;;https://evil.example\x07link\x1b]8;;\x07 not in the docs")
	r.Contexts = []dataset.Chunk{{ID: "c9", Doc: `docs/<iframe src=x>.md`, Heading: "A > <script>alert(5)</script>", Text: hostileOutput}}
	r.Verdicts = append(r.Verdicts, dataset.Verdict{Validator: `<script>alert(6)</script>`, Score: 0, Label: dataset.Hallucinated, Reason: hostileImg, Evidence: []string{hostileScript}})
	return r
}

const visibleRowsJS = `[...document.querySelectorAll('#items > tbody > tr')].filter(r => r.getClientRects().length > 0)`

// TestBrowser opens a run report and a comparison report with hostile
// model output in headless Chromium and checks, as a person would: the page
// loads with no console error, exception or dialog; the hostile strings
// show as text; the label filter, the search box and sorting work; and
// without JavaScript every row is shown.
func TestBrowser(t *testing.T) {
	bin := chromiumPath()
	if bin == "" {
		if os.Getenv("CI") != "" {
			t.Fatal("chromium is not installed: .ci/run installs it before the tests")
		}
		t.Skip("chromium is not installed (.ci/run installs it for CI)")
	}
	if testing.Short() {
		t.Skip("browser test skipped in -short mode")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()

	dir := t.TempDir()
	a, b := fixtureRuns()
	results := append(slices.Clone(a.Results), hostileResult())
	sum := dataset.Summarize(results)
	sum.Run, sum.Model, sum.Dataset, sum.Items, sum.DurationMS, sum.CostUSD, sum.Requests = a.ID, "base", "evalset.jsonl", len(results), 12345, 0.0123, len(results)
	runPath := filepath.Join(dir, "report.html")
	if err := os.WriteFile(runPath, HTML(&sum, results, HTMLOptions{}), 0o644); err != nil {
		t.Fatal(err)
	}
	cmp, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	cmpPath := filepath.Join(dir, "compare.html")
	if err := os.WriteFile(cmpPath, CompareHTML(cmp, HTMLOptions{}), 0o644); err != nil {
		t.Fatal(err)
	}

	br := startBrowser(ctx, t, bin)
	br.page(ctx, "Emulation.setDeviceMetricsOverride", map[string]any{"width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": false}, nil)
	shots := os.Getenv("SYNTH_REPORT_SCREENSHOTS") // a folder: full-page screenshots to look at

	// --- the run report ---
	br.navigate(ctx, "file://"+runPath)
	var n int
	br.eval(ctx, `document.querySelectorAll('#items > tbody > tr').length`, &n)
	if n != len(results) {
		t.Fatalf("rows = %d, want %d", n, len(results))
	}
	br.eval(ctx, visibleRowsJS+`.length`, &n)
	if n != len(results) {
		t.Errorf("visible rows on load = %d, want all %d", n, len(results))
	}
	var cls string
	br.eval(ctx, `document.documentElement.className`, &cls)
	if cls != "js" {
		t.Errorf("html class = %q: the page's script did not run (blocked by the CSP?)", cls)
	}

	// Hostile content is inert text.
	var counts struct{ Scripts, Images, Handlers, SVGs, Frames int }
	br.eval(ctx, `({Scripts: document.scripts.length, Images: document.images.length,
		Handlers: document.querySelectorAll('[onerror],[onload],[onclick]').length,
		SVGs: document.querySelectorAll('svg').length, Frames: document.querySelectorAll('iframe').length})`, &counts)
	if counts.Scripts != 1 || counts.Images != 0 || counts.Handlers != 0 || counts.SVGs != 1 || counts.Frames != 0 {
		t.Errorf("elements injected by model text: %+v (want 1 script, 1 svg, nothing else)", counts)
	}
	var text string
	br.eval(ctx, `document.body.innerText`, &text)
	for _, want := range []string{hostileScript, hostileImg, "ESC[31mREDESC[0m", "invoiceU+202Efdp.exe", "passU+200Bword", `x"><svg onload=alert(3)>`,
		"</textarea><script>alert(2)</script>", "ESC]8;;https://evil.exampleBELlink"} {
		if !strings.Contains(text, want) {
			t.Errorf("page text lacks %q", want)
		}
	}
	if strings.ContainsAny(text, "\x1b\x07\u202e\u200b") {
		t.Errorf("page text holds a raw escape, bidi override or zero-width character")
	}
	var markers int
	br.eval(ctx, `document.querySelectorAll('.ctl[title]').length`, &markers)
	if markers == 0 {
		t.Errorf("no control-character markers on the page")
	}
	var overflow struct{ Page, Win float64 }
	br.eval(ctx, `({Page: document.documentElement.scrollWidth, Win: window.innerWidth})`, &overflow)
	if overflow.Page > overflow.Win {
		t.Errorf("page is %vpx wide in a %vpx window: a long line does not wrap", overflow.Page, overflow.Win)
	}
	if shots != "" {
		br.screenshot(ctx, filepath.Join(shots, "report.png"), true)
		br.eval(ctx, `(() => { const r = document.querySelector('#items > tbody > tr:last-child');
			r.querySelectorAll('details').forEach(d => d.open = true); r.scrollIntoView(); return 0; })()`, nil)
		br.screenshot(ctx, filepath.Join(shots, "report-hostile.png"), false)
	}

	// The label filter shows only that label's rows.
	br.click(ctx, `.filters button[data-key="hallucinated"]`)
	var keys []string
	br.eval(ctx, visibleRowsJS+`.map(r => r.dataset.key)`, &keys)
	if len(keys) != 3 {
		t.Errorf("after clicking hallucinated: %d rows visible, want 3", len(keys))
	}
	for _, k := range keys {
		if k != "hallucinated" {
			t.Errorf("after clicking hallucinated: a %s row is visible", k)
		}
	}
	var shown string
	br.eval(ctx, `document.getElementById('shown').textContent`, &shown)
	if shown != "Showing 3 of 11 items" {
		t.Errorf("status = %q", shown)
	}
	var pressed string
	br.eval(ctx, `document.querySelector('.filters button[data-key="hallucinated"]').getAttribute('aria-pressed')`, &pressed)
	if pressed != "true" {
		t.Errorf("hallucinated button aria-pressed = %q", pressed)
	}

	// The search box filters (within all labels).
	br.click(ctx, `.filters button[data-key="all"]`)
	br.click(ctx, `#search`)
	br.typeText(ctx, "REFUND")
	var ids []string
	br.eval(ctx, visibleRowsJS+`.map(r => r.dataset.id)`, &ids)
	if !slices.Equal(ids, []string{"billing-refund"}) {
		t.Errorf("search REFUND shows %q, want [billing-refund]", ids)
	}
	br.eval(ctx, `(() => { const s = document.getElementById('search'); s.value = 'no such text anywhere'; s.dispatchEvent(new Event('input')); return 0; })()`, nil)
	var emptyShown bool
	br.eval(ctx, `!document.getElementById('empty').hidden`, &emptyShown)
	if !emptyShown {
		t.Errorf("no 'no item matches' message when the search matches nothing")
	}
	br.eval(ctx, `(() => { const s = document.getElementById('search'); s.value = ''; s.dispatchEvent(new Event('input')); return 0; })()`, nil)

	// Sorting by label puts correct first, error last.
	br.click(ctx, `th[data-sort="rank"] button`)
	var ranks []int
	br.eval(ctx, visibleRowsJS+`.map(r => Number(r.dataset.rank))`, &ranks)
	if len(ranks) != len(results) || !slices.IsSorted(ranks) || ranks[0] != 0 {
		t.Errorf("after sorting by label, ranks = %v", ranks)
	}
	br.screenshot(ctx, filepath.Join(dir, "report.png"), false)

	// Without JavaScript every row is visible and the controls are hidden.
	br.page(ctx, "Emulation.setScriptExecutionDisabled", map[string]any{"value": true}, nil)
	br.navigate(ctx, "file://"+runPath)
	br.eval(ctx, visibleRowsJS+`.length`, &n)
	if n != len(results) {
		t.Errorf("without JavaScript %d rows visible, want %d", n, len(results))
	}
	br.page(ctx, "Emulation.setScriptExecutionDisabled", map[string]any{"value": false}, nil)

	// A link to a filter opens the page on it; a malformed one is ignored.
	br.navigate(ctx, "about:blank") // a fresh document: a change of hash alone does not load the page
	br.navigate(ctx, "file://"+runPath+"#refused")
	br.eval(ctx, visibleRowsJS+`.map(r => r.dataset.key)`, &keys)
	if !slices.Equal(keys, []string{"refused"}) {
		t.Errorf("report.html#refused shows %q", keys)
	}
	br.navigate(ctx, "about:blank")
	br.navigate(ctx, "file://"+runPath+"#%E0%A4%A")

	// --- the comparison report ---
	br.navigate(ctx, "file://"+cmpPath)
	for _, tc := range []struct {
		key  string
		want []string
	}{
		{"fixed", []string{"password-forgot", "password-link-expired", "2fa-lost-phone"}},
		{"regressed", []string{"billing-refund"}},
		{"changed", []string{"billing-invoice", "export-data"}},
		{"only_b", []string{"team-invite"}},
	} {
		br.click(ctx, `.filters button[data-key="`+tc.key+`"]`)
		br.eval(ctx, visibleRowsJS+`.map(r => r.dataset.id)`, &ids)
		if !slices.Equal(ids, tc.want) {
			t.Errorf("compare: filter %s shows %q, want %q", tc.key, ids, tc.want)
		}
	}
	br.click(ctx, `.filters button[data-key="all"]`)
	br.eval(ctx, `document.body.innerText`, &text)
	if !strings.Contains(text, hostileScript) || !strings.Contains(text, "ESC[31mRED") {
		t.Errorf("compare page does not show the hostile output as text")
	}
	br.eval(ctx, `document.images.length + document.querySelectorAll('[onerror],[onload]').length`, &n)
	if n != 0 {
		t.Errorf("compare page: %d elements injected by model text", n)
	}
	if shots != "" {
		br.screenshot(ctx, filepath.Join(shots, "compare.png"), true)
		br.page(ctx, "Emulation.setEmulatedMedia", map[string]any{"features": []map[string]string{{"name": "prefers-color-scheme", "value": "dark"}}}, nil)
		br.screenshot(ctx, filepath.Join(shots, "compare-dark.png"), false)
		br.navigate(ctx, "file://"+runPath)
		br.screenshot(ctx, filepath.Join(shots, "report-dark.png"), false)
	}
	br.screenshot(ctx, filepath.Join(dir, "compare.png"), false)

	if p := br.problems(); len(p) > 0 {
		t.Errorf("the pages reported %d problems:\n%s", len(p), strings.Join(p, "\n"))
	}
}
