package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

func TestTransition(t *testing.T) {
	C, P, W, H, R, E := dataset.Correct, dataset.Partial, dataset.Wrong, dataset.Hallucinated, dataset.Refused, dataset.Error
	for _, tc := range []struct {
		a, b dataset.Label
		want Kind
	}{
		{W, C, Fixed}, {H, C, Fixed}, {R, C, Fixed}, {P, C, Fixed},
		{C, W, Regressed}, {C, P, Regressed}, {C, H, Regressed},
		{W, P, Changed}, {P, W, Changed}, {R, H, Changed}, {E, W, Changed},
		// An item not graded on one side says nothing about the model.
		{E, C, Changed}, {C, E, Changed},
		{C, C, Unchanged}, {W, W, Unchanged}, {E, E, Unchanged},
	} {
		t.Run(string(tc.a)+"→"+string(tc.b), func(t *testing.T) {
			if got := transition(tc.a, tc.b); got != tc.want {
				t.Errorf("transition(%s, %s) = %s, want %s", tc.a, tc.b, got, tc.want)
			}
		})
	}
}

func TestCompare(t *testing.T) {
	a, b := fixtureRuns()
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[string]Kind{}
	for _, it := range c.Items {
		kinds[it.ID] = it.Kind
	}
	want := map[string]Kind{
		"password-forgot": Fixed, "password-link-expired": Fixed, "password-no-email": Unchanged, "2fa-setup": Unchanged,
		"2fa-lost-phone": Fixed, "billing-refund": Regressed, "billing-invoice": Changed, "export-data": Changed,
		"delete-account": Unchanged, "legacy-sso": OnlyA, "team-invite": OnlyB,
	}
	for id, k := range want {
		if kinds[id] != k {
			t.Errorf("%s: %s, want %s", id, kinds[id], k)
		}
	}
	if len(c.Items) != len(want) {
		t.Errorf("%d items, want %d", len(c.Items), len(want))
	}
	wantCounts := KindCounts{Fixed: 3, Regressed: 1, Changed: 2, Unchanged: 3, OnlyA: 1, OnlyB: 1}
	for k, n := range wantCounts {
		if c.Transitions[k] != n {
			t.Errorf("transitions[%s] = %d, want %d", k, c.Transitions[k], n)
		}
	}
	// export-data is error in A: paired, but not graded on both sides.
	if c.Paired.Items != 9 || c.Paired.Graded != 8 || c.Paired.ACorrect != 2 || c.Paired.BCorrect != 4 {
		t.Errorf("paired = %+v", c.Paired)
	}
	if !slices.Equal(c.OnlyA, []string{"legacy-sso"}) || !slices.Equal(c.OnlyB, []string{"team-invite"}) {
		t.Errorf("only A %v, only B %v", c.OnlyA, c.OnlyB)
	}
	// Each side's figures cover all its graded items: A 2 correct of 9 graded
	// (its error item is not graded), B 6/10.
	if c.A.Total != 10 || c.A.Counts[dataset.Correct] != 2 || c.B.Counts[dataset.Correct] != 6 {
		t.Errorf("sides: A %d items %v, B %v", c.A.Total, c.A.Counts, c.B.Counts)
	}
	if c.A.CI != Wilson(2, 9) || c.B.CI != Wilson(6, 10) {
		t.Errorf("intervals: A %v, B %v", c.A.CI, c.B.CI)
	}
	if c.McNemar != McNemarTest(3, 1) {
		t.Errorf("McNemar = %+v", c.McNemar)
	}
	if c.Verdict != "not enough evidence of a difference (p=0.62): more items needed" {
		t.Errorf("verdict = %q", c.Verdict)
	}
	for _, l := range c.Labels {
		if l.Delta != l.B-l.A || l.A != c.A.Counts[l.Label] {
			t.Errorf("label row %+v", l)
		}
	}
	// Tags: 2fa-setup and 2fa-lost-phone carry both "security" and "2fa".
	var tags []string
	for _, tc := range c.Tags {
		tags = append(tags, tc.Tag)
	}
	if !slices.Equal(tags, []string{"2fa", "billing", "password", "security"}) {
		t.Errorf("tags = %v", tags)
	}
	for _, tc := range c.Tags {
		if tc.Tag == "password" && (tc.Items != 3 || tc.Transitions[Fixed] != 2 || tc.McNemar.P != 0.5) {
			t.Errorf("password tag = %+v", tc)
		}
		if tc.Tag == "billing" && (tc.Transitions[Regressed] != 1 || tc.Transitions[Changed] != 1 || tc.AAccuracy != 0.5 || tc.BAccuracy != 0) {
			t.Errorf("billing tag = %+v", tc)
		}
	}
	if !c.SameDataset {
		t.Error("same eval set reported as different")
	}
}

func TestCompareVerdicts(t *testing.T) {
	mk := func(id string, labels ...dataset.Label) *dataset.Run {
		r := &dataset.Run{RunDir: dataset.RunDir{ID: id}}
		for i, l := range labels {
			r.Results = append(r.Results, dataset.Result{ID: string(rune('a' + i)), Label: l})
		}
		return r
	}
	rep := func(l dataset.Label, n int) []dataset.Label { return slices.Repeat([]dataset.Label{l}, n) }
	C, W := dataset.Correct, dataset.Wrong
	for _, tc := range []struct {
		name string
		a, b []dataset.Label
		want string
	}{
		{"improved", rep(W, 10), rep(C, 10), "the improvement is unlikely to be chance (p=0.002)"},
		{"regressed", append(rep(C, 10), W, W), append(rep(W, 10), C, C), "the regression is unlikely to be chance (p=0.039)"},
		{"unclear", append(rep(W, 6), rep(C, 6)...), append(rep(C, 6), rep(W, 6)...), "not enough evidence of a difference (p=1): more items needed"},
		{"no change", rep(C, 5), rep(C, 5), "no item changed between correct and not correct: no evidence of a difference (p=1)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compare(mk("a", tc.a...), mk("b", tc.b...))
			if err != nil {
				t.Fatal(err)
			}
			if c.Verdict != tc.want {
				t.Errorf("verdict = %q, want %q", c.Verdict, tc.want)
			}
		})
	}
}

func TestCompareRefusesDisjointRuns(t *testing.T) {
	a, b := fixtureRuns()
	b.Manifest.Dataset, b.Manifest.DatasetHash = "other.jsonl", "sha256:def"
	for i := range b.Results {
		b.Results[i].ID = "other-" + b.Results[i].ID
	}
	_, err := Compare(a, b)
	if !errors.Is(err, ErrNoOverlap) {
		t.Fatalf("err = %v, want ErrNoOverlap", err)
	}
	for _, want := range []string{"evalset.jsonl", "other.jsonl", "10 items", "same eval set"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	_, err = Compare(a, &dataset.Run{RunDir: dataset.RunDir{ID: "empty"}})
	if !errors.Is(err, ErrNoOverlap) || !strings.Contains(err.Error(), "run B (empty) has no results") {
		t.Errorf("empty run: err = %v", err)
	}
}

func TestCompareDifferentEvalSetsWithOverlap(t *testing.T) {
	a, b := fixtureRuns()
	b.Manifest.Dataset, b.Manifest.DatasetHash = "evalset-v2.jsonl", "sha256:def"
	b.Results[0].Question = "I forgot my password"
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if c.SameDataset {
		t.Error("different eval sets reported as the same")
	}
	notes := strings.Join(c.Notes, "\n")
	for _, want := range []string{"different eval sets (A: evalset.jsonl, B: evalset-v2.jsonl); only the 9 items they share are paired",
		"1 item only in A", "1 item only in B", "1 item paired by id has a different question", "1 item labelled error in A"} {
		if !strings.Contains(notes, want) {
			t.Errorf("notes lack %q:\n%s", want, notes)
		}
	}
}

func TestCompareJSON(t *testing.T) {
	a, b := fixtureRuns()
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	out, err := CompareJSON(c)
	if err != nil {
		t.Fatal(err)
	}
	golden(t, "compare.golden.json", out)
	// The JSON reads back into the same structure.
	var back Comparison
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	again, _ := CompareJSON(&back)
	if !bytes.Equal(out, again) {
		t.Error("JSON does not round-trip")
	}
}

func TestCompareMarkdown(t *testing.T) {
	a, b := fixtureRuns()
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	md := CompareMarkdown(c)
	golden(t, "compare.golden.md", md)
	if bytes.Contains(md, []byte("<script>")) || bytes.ContainsRune(md, 0x1b) {
		t.Error("Markdown holds raw HTML or an escape code")
	}
}

func TestCompareText(t *testing.T) {
	a, b := fixtureRuns()
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		style Style
	}{{"plain", Style{}}, {"color", Style{Color: true}}} {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			if err := c.WriteText(&buf, tc.style); err != nil {
				t.Fatal(err)
			}
			out := buf.String()
			if !tc.style.Color {
				golden(t, "compare.golden.txt", buf.Bytes())
				if strings.ContainsRune(out, 0x1b) {
					t.Error("plain output holds an escape code")
				}
				return
			}
			// Colour comes only from our own codes: strip them and the
			// output equals the plain one.
			if strings.Contains(out, "\x1b[31mRED") {
				t.Error("an escape code from model output reached the terminal")
			}
			var plain bytes.Buffer
			_ = c.WriteText(&plain, Style{})
			if got := stripSGR(out); got != plain.String() {
				t.Errorf("coloured output differs from plain output beyond colour codes:\n%s", got)
			}
		})
	}
}

// stripSGR removes "ESC [ ... m" sequences.
func stripSGR(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '[' {
			j := i + 2
			for j < len(s) && s[j] != 'm' {
				j++
			}
			i = j
			continue
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func TestCompareLongLists(t *testing.T) {
	a := &dataset.Run{RunDir: dataset.RunDir{ID: "a"}}
	b := &dataset.Run{RunDir: dataset.RunDir{ID: "b"}}
	for i := range 40 {
		id := "item-" + string(rune('A'+i%26)) + string(rune('a'+i/26))
		a.Results = append(a.Results, dataset.Result{ID: id, Question: "q", Label: dataset.Wrong})
		b.Results = append(b.Results, dataset.Result{ID: id, Question: "q", Label: dataset.Correct})
	}
	c, err := Compare(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	_ = c.WriteText(&buf, Style{})
	if !strings.Contains(buf.String(), "… and 15 more") {
		t.Errorf("a long list is not cut:\n%s", buf.String())
	}
}

func BenchmarkCompare(b *testing.B) {
	ra := &dataset.Run{RunDir: dataset.RunDir{ID: "a"}}
	rb := &dataset.Run{RunDir: dataset.RunDir{ID: "b"}}
	labels := dataset.Labels
	for i := range 5000 {
		id := "item-" + strings.Repeat("x", i%7) + string(rune('0'+i%10)) + "-" + string(rune('a'+i%26)) + "-" + strconv.Itoa(i)
		tags := []string{"t" + strconv.Itoa(i%12)}
		ra.Results = append(ra.Results, dataset.Result{ID: id, Question: "question", Tags: tags, Label: labels[i%len(labels)]})
		rb.Results = append(rb.Results, dataset.Result{ID: id, Question: "question", Tags: tags, Label: labels[(i/3)%len(labels)]})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Compare(ra, rb); err != nil {
			b.Fatal(err)
		}
	}
}
