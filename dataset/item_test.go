package dataset

import (
	"bytes"
	"encoding/json"
	"reflect"
	"testing"
)

func TestItemMarshalJSON(t *testing.T) {
	tests := []struct {
		name string
		item Item
		want string
	}{
		{"one answer is a string", Item{ID: "a", Question: "Q", Answers: []string{"A"}},
			`{"id":"a","question":"Q","answer":"A"}`},
		{"several answers are a list", Item{ID: "a", Question: "Q", Answers: []string{"A", "B"}, Tags: []string{"t"}},
			`{"id":"a","question":"Q","answer":["A","B"],"tags":["t"]}`},
		{"no answer is left out", Item{ID: "a", Question: "Q", Sources: []string{"docs/x.md"}, Meta: map[string]any{"k": 1}},
			`{"id":"a","question":"Q","sources":["docs/x.md"],"meta":{"k":1}}`},
		{"html is not escaped", Item{ID: "a", Question: "<b> & </b>", Answers: []string{"x"}},
			`{"id":"a","question":"<b> & </b>","answer":"x"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var buf bytes.Buffer
			enc := json.NewEncoder(&buf) // as JSONLWriter writes
			enc.SetEscapeHTML(false)
			if err := enc.Encode(tt.item); err != nil {
				t.Fatal(err)
			}
			b := bytes.TrimSpace(buf.Bytes())
			if string(b) != tt.want {
				t.Errorf("got  %s\nwant %s", b, tt.want)
			}
			var back Item
			if err := json.Unmarshal(b, &back); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(back, tt.item) {
				t.Errorf("round trip: got %#v, want %#v", back, tt.item)
			}
		})
	}
}

func TestItemUnmarshalJSON(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Item
		wantErr string
	}{
		{"aliases", `{"input":"Q","ideal":["A","B"]}`, Item{Question: "Q", Answers: []string{"A", "B"}}, ""},
		{"answers plural", `{"id":"x","question":"Q","answers":["A"]}`, Item{ID: "x", Question: "Q", Answers: []string{"A"}}, ""},
		{"empty question is the reader's business", `{"id":"x"}`, Item{ID: "x"}, ""},
		{"bad type", `{"question":1.5,"answer":{"a":1}}`, Item{}, "item: answer must be text or a list of text, got an object"},
		{"not an object", `"Q"`, Item{}, "item: an item must be an object with a question, got text"},
		{"bad json", `{"question":`, Item{}, "item: not valid JSON: the record ends before it is complete"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got Item
			err := got.UnmarshalJSON([]byte(tt.in))
			if tt.wantErr != "" {
				if err == nil || err.Error() != tt.wantErr {
					t.Fatalf("error %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("got %#v, want %#v", got, tt.want)
			}
		})
	}
}
