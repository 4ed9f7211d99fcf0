package dataset

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// benchSet makes an eval set of n items in the format of ext.
func benchSet(n int, ext string) []byte {
	var b strings.Builder
	switch ext {
	case ".csv":
		b.WriteString("id,question,answer,tags\n")
	}
	for i := range n {
		q := fmt.Sprintf("How do I change setting number %d in my account without losing data?", i)
		a := fmt.Sprintf("Open Settings > Advanced > Setting %d, change it and click Save. Your data is kept.", i)
		switch ext {
		case ".jsonl":
			fmt.Fprintf(&b, `{"id":"item-%d","question":%q,"answer":[%q,"Settings"],"tags":["settings","account"],"difficulty":2}`+"\n", i, q, a)
		case ".csv":
			fmt.Fprintf(&b, "item-%d,%q,%q,settings;account\n", i, q, a)
		case ".yaml":
			fmt.Fprintf(&b, "- id: item-%d\n  question: %q\n  answer: [%q, Settings]\n  tags: [settings, account]\n", i, q, a)
		}
	}
	return []byte(b.String())
}

func BenchmarkParseEvalSet(b *testing.B) {
	for _, ext := range []string{".jsonl", ".csv", ".yaml"} {
		data := benchSet(1000, ext)
		b.Run(ext[1:]+"/1000", func(b *testing.B) {
			b.ReportAllocs()
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if _, err := ParseEvalSet("set"+ext, data); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchResult(i int) Result {
	return Result{
		ID: fmt.Sprintf("item-%d", i), Question: "How do I change my password?", Gold: []string{"Open Settings > Security."},
		Output: "Go to Settings > Security and click Change password.", Label: Correct,
		Verdicts:  []Verdict{{Validator: "f1", Score: 0.8, Pass: true, Label: Correct}, {Validator: "refusal", Score: 0, Pass: true}},
		Contexts:  []Chunk{{ID: "c1", Doc: "docs/security.md", Text: strings.Repeat("Security settings text. ", 30)}},
		LatencyMS: 120, Usage: Usage{PromptTokens: 300, CompletionTokens: 40, TotalTokens: 340},
	}
}

func BenchmarkReadJSONLResults(b *testing.B) {
	path := filepath.Join(b.TempDir(), ResultsFile)
	w, err := OpenJSONL(path)
	if err != nil {
		b.Fatal(err)
	}
	w.SetSync(false)
	for i := range 10000 {
		if err := w.Write(benchResult(i)); err != nil {
			b.Fatal(err)
		}
	}
	w.Close()
	st, _ := os.Stat(path)
	b.SetBytes(st.Size())
	b.ReportAllocs()
	for b.Loop() {
		got, _, err := ReadJSONL[Result](path)
		if err != nil || len(got) != 10000 {
			b.Fatal(err)
		}
	}
}

func BenchmarkJSONLWriter(b *testing.B) {
	for _, sync := range []bool{true, false} {
		b.Run(fmt.Sprintf("fsync=%v", sync), func(b *testing.B) {
			w, err := OpenJSONL(filepath.Join(b.TempDir(), ResultsFile))
			if err != nil {
				b.Fatal(err)
			}
			defer w.Close()
			w.SetSync(sync)
			r := benchResult(1)
			b.ReportAllocs()
			for b.Loop() {
				if err := w.Write(r); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkSummarize(b *testing.B) {
	results := make([]Result, 10000)
	for i := range results {
		results[i] = benchResult(i)
	}
	b.ReportAllocs()
	for b.Loop() {
		Summarize(results)
	}
}
