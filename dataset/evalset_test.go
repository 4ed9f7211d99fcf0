package dataset

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestParseEvalSet(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		want []Item
	}{
		{
			name: "jsonl basic",
			file: "set.jsonl",
			data: `{"id":"a","question":"How do I reset my password?","answer":"Use the reset link.","tags":["account"],"sources":["docs/reset.md"]}` + "\n",
			want: []Item{{ID: "a", Question: "How do I reset my password?", Answers: []string{"Use the reset link."}, Tags: []string{"account"}, Sources: []string{"docs/reset.md"}}},
		},
		{
			name: "jsonl BOM CRLF blank lines",
			file: "set.jsonl",
			data: "\uFEFF{\"id\":\"a\",\"question\":\"Q1\",\"answer\":\"A1\"}\r\n\r\n  \r\n{\"id\":\"b\",\"question\":\"Q2\",\"answer\":\"A2\"}\r\n",
			want: []Item{{ID: "a", Question: "Q1", Answers: []string{"A1"}}, {ID: "b", Question: "Q2", Answers: []string{"A2"}}},
		},
		{
			name: "jsonl last line without newline",
			file: "set.jsonl",
			data: `{"id":"a","question":"Q1","answer":"A1"}`,
			want: []Item{{ID: "a", Question: "Q1", Answers: []string{"A1"}}},
		},
		{
			name: "list answers, numbers, tags as text, other fields to meta",
			file: "set.jsonl",
			data: `{"id":7,"question":"How many seats?","answer":["5","five"],"tags":"billing; plans|seats","difficulty":2,"ratio":0.5,"ok":true,"note":null,"nested":{"a":[1,"x"]}}`,
			want: []Item{{ID: "7", Question: "How many seats?", Answers: []string{"5", "five"}, Tags: []string{"billing", "plans", "seats"},
				Meta: map[string]any{"difficulty": 2, "ratio": 0.5, "ok": true, "note": nil, "nested": map[string]any{"a": []any{1, "x"}}}}},
		},
		{
			name: "numeric answer kept as written",
			file: "set.jsonl",
			data: `{"id":"n","question":"Max file size in MB?","answer":250}`,
			want: []Item{{ID: "n", Question: "Max file size in MB?", Answers: []string{"250"}}},
		},
		{
			name: "meta object merges into Meta",
			file: "set.jsonl",
			data: `{"id":"m","question":"Q","answer":"A","meta":{"author":"kim","question":"not a field"}}`,
			want: []Item{{ID: "m", Question: "Q", Answers: []string{"A"}, Meta: map[string]any{"author": "kim", "question": "not a field"}}},
		},
		{
			name: "keys are matched without case",
			file: "set.jsonl",
			data: `{"ID":"c","Question":" Q ","Answer":" A "}`,
			want: []Item{{ID: "c", Question: "Q", Answers: []string{"A"}}},
		},
		{
			name: "openai evals input text and ideal list",
			file: "set.jsonl",
			data: `{"input":"What is 2+2?","ideal":["4","four"]}`,
			want: []Item{{ID: QuestionID("What is 2+2?"), Question: "What is 2+2?", Answers: []string{"4", "four"}}},
		},
		{
			name: "openai evals chat input",
			file: "set.jsonl",
			data: `{"id":"chat","input":[{"role":"system","content":"You are a support bot."},{"role":"user","content":"hi"},{"role":"assistant","content":"Hello!"},{"role":"user","content":[{"type":"text","text":"Where are invoices?"}]}],"ideal":"Billing > Invoices"}`,
			want: []Item{{ID: "chat", Question: "Where are invoices?", Answers: []string{"Billing > Invoices"},
				Meta: map[string]any{MetaSystem: "You are a support bot.", MetaHistory: []any{
					map[string]any{"role": "user", "content": "hi"},
					map[string]any{"role": "assistant", "content": "Hello!"},
				}}}},
		},
		{
			name: "json list",
			file: "set.json",
			data: "[\n {\"id\":\"a\",\"question\":\"Q1\",\"answer\":\"A1\"},\n {\"id\":\"b\",\"question\":\"Q2\",\"answer\":[\"x\",\"y\"]}\n]\n",
			want: []Item{{ID: "a", Question: "Q1", Answers: []string{"A1"}}, {ID: "b", Question: "Q2", Answers: []string{"x", "y"}}},
		},
		{
			name: "json items object",
			file: "set.json",
			data: `{"name":"support","items":[{"id":"a","question":"Q1","answer":"A1"}]}`,
			want: []Item{{ID: "a", Question: "Q1", Answers: []string{"A1"}}},
		},
		{
			name: "json holding json lines",
			file: "set.json",
			data: "{\"id\":\"a\",\"question\":\"Q1\",\"answer\":\"A1\"}\n{\"id\":\"b\",\"question\":\"Q2\",\"answer\":\"A2\"}\n",
			want: []Item{{ID: "a", Question: "Q1", Answers: []string{"A1"}}, {ID: "b", Question: "Q2", Answers: []string{"A2"}}},
		},
		{
			name: "csv with BOM, CRLF, quoted multi-line cell, tags, extra column",
			file: "set.csv",
			data: "\uFEFFid,question,answer,tags,owner\r\na,\"Line one\r\nline two\",A1,billing;plans,kim\r\nb,Q2,\"A, with comma\",,\r\n",
			want: []Item{
				{ID: "a", Question: "Line one\nline two", Answers: []string{"A1"}, Tags: []string{"billing", "plans"}, Meta: map[string]any{"owner": "kim"}},
				{ID: "b", Question: "Q2", Answers: []string{"A, with comma"}},
			},
		},
		{
			name: "csv repeated answer columns and a JSON list cell",
			file: "set.csv",
			data: "question,answer,answer,tags,tags\nQ1,x,y,a,b\nQ2,\"[\"\"p\"\",\"\"q\"\"]\",,a|c,\n",
			want: []Item{
				{ID: QuestionID("Q1"), Question: "Q1", Answers: []string{"x", "y"}, Tags: []string{"a", "b"}},
				{ID: QuestionID("Q2"), Question: "Q2", Answers: []string{"p", "q"}, Tags: []string{"a", "c"}},
			},
		},
		{
			name: "csv aliases",
			file: "set.csv",
			data: "Input,Ideal\nQ1,A1\n",
			want: []Item{{ID: QuestionID("Q1"), Question: "Q1", Answers: []string{"A1"}}},
		},
		{
			name: "tsv",
			file: "set.tsv",
			data: "id\tquestion\tanswer\na\tQ1\tA1, still one answer\n",
			want: []Item{{ID: "a", Question: "Q1", Answers: []string{"A1, still one answer"}}},
		},
		{
			name: "yaml list with numbers, bools and lists",
			file: "set.yaml",
			data: "- id: 1\n  question: Max upload size?\n  answer: 250\n- id: b\n  question: Can I undo?\n  answer: [true, \"yes\"]\n  tags: [x, y]\n  extra: {k: 1.5}\n",
			want: []Item{
				{ID: "1", Question: "Max upload size?", Answers: []string{"250"}},
				{ID: "b", Question: "Can I undo?", Answers: []string{"true", "yes"}, Tags: []string{"x", "y"}, Meta: map[string]any{"extra": map[string]any{"k": 1.5}}},
			},
		},
		{
			name: "yaml items mapping, CRLF, anchors and merge keys",
			file: "set.yml",
			data: "\uFEFFitems:\r\n  - &base\r\n    id: a\r\n    question: Q1\r\n    answer: A1\r\n    tags: [billing]\r\n  - <<: *base\r\n    id: b\r\n    question: Q2\r\n",
			want: []Item{
				{ID: "a", Question: "Q1", Answers: []string{"A1"}, Tags: []string{"billing"}},
				{ID: "b", Question: "Q2", Answers: []string{"A1"}, Tags: []string{"billing"}},
			},
		},
		{
			name: "yaml block scalars",
			file: "set.yaml",
			data: "- id: a\n  question: |\n    Two\n    lines\n  answer: >\n    folded\n    text\n",
			want: []Item{{ID: "a", Question: "Two\nlines", Answers: []string{"folded text"}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseEvalSet(tt.file, []byte(tt.data))
			if err != nil {
				t.Fatalf("ParseEvalSet: %v", err)
			}
			if !reflect.DeepEqual(set.Items, tt.want) {
				t.Errorf("items:\n got %s\nwant %s", mustJSON(t, set.Items), mustJSON(t, tt.want))
			}
			if !strings.HasPrefix(set.Hash, "sha256:") || len(set.Hash) != len("sha256:")+64 {
				t.Errorf("hash = %q", set.Hash)
			}
		})
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestParseEvalSetErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		want string // the whole error text
	}{
		{"bad json with column", "set.jsonl",
			"{\"question\":\"Q1\",\"answer\":\"A\"}\n\n{\"question\": \"Q2\" \"answer\":\"A\"}\n",
			`set.jsonl:3: not valid JSON: invalid character '"' after object key:value pair (column 19)`},
		{"truncated json", "set.jsonl", `{"question":"Q1"`,
			"set.jsonl:1: not valid JSON: the record ends before it is complete"},
		{"text after the record", "set.jsonl", `{"question":"Q1","answer":"A"} x`,
			`set.jsonl:1: not valid JSON: unexpected text after the record: "x"`},
		{"not an object", "set.jsonl", "[1,2]\n",
			"set.jsonl:1: an item must be an object with a question, got a list"},
		{"empty question", "set.jsonl", "{\"id\":\"a\",\"question\":\"Q\",\"answer\":\"A\"}\n{\"id\":\"b\",\"question\":\"  \",\"answer\":\"A\"}\n",
			"set.jsonl:2: the question is empty"},
		{"missing question", "set.jsonl", `{"id":"a","answer":"A"}`,
			"set.jsonl:1: the question is empty"},
		{"duplicate ids", "set.jsonl", "{\"id\":\"a\",\"question\":\"Q1\",\"answer\":\"A\"}\n{\"id\":\"b\",\"question\":\"Q2\",\"answer\":\"A\"}\n{\"id\":\"a\",\"question\":\"Q3\",\"answer\":\"A\"}\n",
			`set.jsonl:3: duplicate id "a" (first used on line 1)`},
		{"question and input", "set.jsonl", `{"question":"Q","input":"Q","answer":"A"}`,
			`set.jsonl:1: both "input" and "question" are set; use one`},
		{"answer and ideal", "set.jsonl", `{"question":"Q","answer":"A","ideal":"B"}`,
			`set.jsonl:1: both "answer" and "ideal" are set; use one`},
		{"empty entry in answer list", "set.jsonl", `{"question":"Q","answer":["A",""]}`,
			"set.jsonl:1: answer: entry 2 is empty"},
		{"answer object", "set.jsonl", `{"question":"Q","answer":{"text":"A"}}`,
			"set.jsonl:1: answer must be text or a list of text, got an object"},
		{"question list", "set.jsonl", `{"question":["Q"],"answer":"A"}`,
			"set.jsonl:1: question must be text, got a list"},
		{"id object", "set.jsonl", `{"id":{"x":1},"question":"Q","answer":"A"}`,
			"set.jsonl:1: id must be text or a number, got an object"},
		{"chat without user", "set.jsonl", `{"input":[{"role":"system","content":"S"}],"ideal":"A"}`,
			"set.jsonl:1: input: no message has role user"},
		{"chat message not an object", "set.jsonl", `{"input":["hi"],"ideal":"A"}`,
			"set.jsonl:1: input: message 1 must be an object with role and content, got text"},
		{"several errors", "set.jsonl", "{\"question\":\"\"}\n{\"question\":\"Q\",\"tags\":[[1]]}\n",
			"set.jsonl:1: the question is empty\nset.jsonl:2: tags: entry 1 must be text, got a list"},
		{"json list with a bad element", "set.json", "[\n  {\"question\": \"Q1\", \"answer\": \"A\"},\n  {\"question\": \"\", \"answer\": \"A\"}\n]",
			"set.json:3: the question is empty"},
		{"json syntax error", "set.json", "[\n  {\"question\": \"Q1\"},\n  {\"question\" \"Q2\"}\n]",
			"set.json:3: not valid JSON: invalid character '\"' after object key (column 15)"},
		{"json scalar", "set.json", `"hello"`,
			`set.json:1: a .json eval set must be a list of items, an object with "items", or JSON lines`},
		{"csv without question column", "set.csv", "id,answer\na,A\n",
			"set.csv:1: the header has no question column (columns: id, answer)"},
		{"csv repeated column", "set.csv", "question,id,id\nQ,a,b\n",
			`set.csv:1: column "id" appears twice in the header (columns 2 and 3)`},
		{"csv question and input", "set.csv", "question,input\nQ,Q\n",
			`set.csv:1: the header has both "question" and "input"; use one`},
		{"csv bad quote", "set.csv", "question,answer\nQ1,A1\nQ2,\"A2\n",
			"set.csv:3: not valid CSV: extraneous or missing \" in quoted-field (column 8)"},
		{"csv quote left open", "set.csv", "id,question,answer\na,Q1,A1\nb,\"Q2,A2\nc,Q3,A3\n",
			"set.csv:3: not valid CSV: extraneous or missing \" in quoted-field (a quoted field of the row starting here runs on to line 4, column 9: is a closing quote missing?)"},
		{"csv short row", "set.csv", "id,question,answer\na,Q1,A1\nb,Q2\n",
			"set.csv:3: the row has 2 fields but the header has 3"},
		{"csv long row", "set.csv", "id,question,answer\na,Q1,A1,extra\n",
			"set.csv:2: the row has 4 fields but the header has 3"},
		{"csv empty question on its line", "set.csv", "id,question,answer\r\na,Q1,A1\r\nb,,A2\r\n",
			"set.csv:3: the question is empty"},
		{"csv duplicate ids", "set.csv", "id,question\na,Q1\na,Q2\n",
			`set.csv:3: duplicate id "a" (first used on line 2)`},
		{"yaml syntax", "set.yaml", "- question: Q1\n  answer: A\n- question: [unclosed\n",
			"set.yaml:3: not valid YAML: did not find expected ',' or ']'"},
		{"yaml empty question points at its line", "set.yaml", "- id: a\n  question: Q1\n  answer: A\n- id: b\n  answer: A\n  question: \"\"\n",
			"set.yaml:6: the question is empty"},
		{"yaml duplicate key", "set.yaml", "- question: Q1\n  answer: A\n  answer: B\n",
			`set.yaml:3: field "answer" appears twice (first on line 2)`},
		{"yaml duplicate ids", "set.yaml", "- id: a\n  question: Q1\n- id: a\n  question: Q2\n",
			`set.yaml:3: duplicate id "a" (first used on line 1)`},
		{"yaml bad answer entry line", "set.yaml", "- question: Q1\n  answer:\n    - fine\n    - {x: 1}\n",
			"set.yaml:4: answer: entry 2 must be text, got an object"},
		{"yaml scalar document", "set.yaml", "just text\n",
			`set.yaml:1: the file must be a list of items, or a mapping with an "items" list`},
		{"yaml mapping without items", "set.yaml", "questions: []\n",
			`set.yaml:1: the mapping has no "items" list`},
		{"yaml syntax without a line", "set.yaml", "a: b: c\n",
			"set.yaml:1: not valid YAML: mapping values are not allowed in this context"},
		{"yaml parser error line", "set.yaml", "k: v\n- x\n",
			"set.yaml:2: not valid YAML: did not find expected key"},
		{"yaml scanner error line", "set.yaml", "- question: Q\n  answer: \"x\n",
			"set.yaml:2: not valid YAML: found unexpected end of stream"},
		{"yaml two documents", "set.yaml", "- question: Q\n---\n- question: R\n",
			"set.yaml:2: a second YAML document; the eval set must be one document"},
		{"latin-1 csv", "set.csv", "question,answer\nQ1,A1\nCaf\xe9?,A2\n",
			"set.csv:3: the text is not valid UTF-8 (save the file as UTF-8)"},
		{"utf-16 file", "set.jsonl", "\xff\xfe{\x00",
			"set.jsonl:1: the text is not valid UTF-8 (save the file as UTF-8)"},
		{"unknown extension", "set.txt", "x",
			`set.txt: unknown eval set format ".txt" (want .jsonl, .json, .csv, .tsv, .yaml or .yml)`},
		{"empty file", "set.jsonl", "\n\n",
			"set.jsonl: the eval set has no items"},
		{"empty yaml", "set.yaml", "# nothing yet\n",
			"set.yaml: the eval set has no items"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseEvalSet(tt.file, []byte(tt.data))
			if err == nil {
				t.Fatal("no error")
			}
			if err.Error() != tt.want {
				t.Errorf("error:\n got %s\nwant %s", err, tt.want)
			}
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Errorf("error %T is not an *InputError", err)
			}
		})
	}
}

func TestParseEvalSetManyErrors(t *testing.T) {
	var b strings.Builder
	for range 15 {
		b.WriteString("{\"question\":\"\"}\n")
	}
	_, err := ParseEvalSet("set.jsonl", []byte(b.String()))
	if err == nil {
		t.Fatal("no error")
	}
	lines := strings.Split(err.Error(), "\n")
	if len(lines) != 11 || lines[10] != "... and 5 more errors" || lines[9] != "set.jsonl:10: the question is empty" {
		t.Errorf("error:\n%s", err)
	}
}

func TestEvalSetWarnings(t *testing.T) {
	tests := []struct {
		name string
		file string
		data string
		want []string
	}{
		{"no gold answer", "set.jsonl", "{\"id\":\"a\",\"question\":\"Q1\",\"answer\":\"A\"}\n{\"id\":\"b\",\"question\":\"Q2\"}\n{\"id\":\"c\",\"question\":\"Q3\",\"answer\":[]}\n",
			[]string{
				`set.jsonl:2: item "b" has no gold answer: only checks that need none (refusal, grounding, links) can grade it`,
				`set.jsonl:3: item "c" has no gold answer: only checks that need none (refusal, grounding, links) can grade it`,
			}},
		{"repeated question", "set.jsonl", "{\"question\":\"Q1\",\"answer\":\"A\"}\n{\"question\":\" Q1 \",\"answer\":\"B\"}\n",
			[]string{"set.jsonl:2: the same question as on line 1"}},
		{"yaml ignored top-level key", "set.yaml", "version: 2\nitems:\n  - {question: Q, answer: A}\n",
			[]string{`set.yaml:1: top-level key "version" is ignored (the items go under "items")`}},
		{"none", "set.csv", "question,answer\nQ,A\n", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set, err := ParseEvalSet(tt.file, []byte(tt.data))
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, w := range set.Warnings {
				got = append(got, w.String())
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("warnings:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

func TestMissingIDs(t *testing.T) {
	sources := map[string]string{
		"set.jsonl": "{\"question\":\"How do I export data?\",\"answer\":\"A\"}\n{\"question\":\"How do I  export data?\",\"answer\":\"B\"}\n{\"question\":\"Other\",\"answer\":\"C\"}\n",
		"set.csv":   "question,answer\nHow do I export data?,A\n\"How do I  export data?\",B\nOther,C\n",
		"set.yaml":  "- question: How do I export data?\n  answer: A\n- question: How do I  export data?\n  answer: B\n- question: Other\n  answer: C\n",
	}
	base := QuestionID("How do I export data?")
	want := []string{base, base + "-2", QuestionID("Other")}
	for file, data := range sources {
		t.Run(file, func(t *testing.T) {
			for run := range 2 { // stable across runs
				set, err := ParseEvalSet(file, []byte(data))
				if err != nil {
					t.Fatal(err)
				}
				if got := set.IDs(); !reflect.DeepEqual(got, want) {
					t.Errorf("run %d: ids %q, want %q", run, got, want)
				}
			}
		})
	}
	if base != "q-"+base[2:] || len(base) != 14 {
		t.Errorf("QuestionID = %q", base)
	}
	t.Run("derived id never takes an explicit one", func(t *testing.T) {
		data := `{"question":"Q","answer":"A"}` + "\n" + `{"id":"` + QuestionID("Q") + `","question":"Other","answer":"B"}` + "\n"
		set, err := ParseEvalSet("set.jsonl", []byte(data))
		if err != nil {
			t.Fatal(err)
		}
		if got := set.IDs(); got[0] != QuestionID("Q")+"-2" || got[1] != QuestionID("Q") {
			t.Errorf("ids %q", got)
		}
	})
}

func TestLongLines(t *testing.T) {
	long := strings.Repeat("word ", 600_000) // 3 MB
	long = strings.TrimSpace(long)
	tests := map[string]string{
		"set.jsonl": `{"id":"a","question":"` + long + `","answer":"A"}` + "\n",
		"set.csv":   "id,question,answer\na," + long + ",A\n",
		"set.yaml":  "- id: a\n  question: " + long + "\n  answer: A\n",
	}
	for file, data := range tests {
		t.Run(file, func(t *testing.T) {
			set, err := ParseEvalSet(file, []byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if len(set.Items) != 1 || set.Items[0].Question != long {
				t.Errorf("got %d items, question of %d bytes", len(set.Items), len(set.Items[0].Question))
			}
		})
	}
}

func TestReadEvalSetFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "evalset.jsonl")
	if err := os.WriteFile(path, []byte(`{"id":"a","question":"Q","answer":"A"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	set, err := ReadEvalSet(path)
	if err != nil {
		t.Fatal(err)
	}
	if set.Path != path || len(set.Items) != 1 {
		t.Errorf("got %+v", set)
	}
	if _, err := ReadEvalSet(filepath.Join(dir, "missing.jsonl")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestReadExampleEvalSet(t *testing.T) {
	// The shipped example must read cleanly.
	path := filepath.Join("..", "examples", "support", "evalset.jsonl")
	if _, err := os.Stat(path); err != nil {
		t.Skip("no example project in this tree")
	}
	set, err := ReadEvalSet(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Items) != 20 {
		t.Errorf("%d items, want 20", len(set.Items))
	}
	for _, w := range set.Warnings {
		t.Errorf("warning: %s", w)
	}
}
