package spec

import (
	"strings"
	"testing"
)

func TestTable(t *testing.T) {
	tb := NewTable[int]("widgets")
	if err := tb.Add("rouge_l", []string{"rouge"}, 1); err != nil {
		t.Fatal(err)
	}
	if err := tb.Add("f1", nil, 2); err != nil {
		t.Fatal(err)
	}
	for _, dup := range []struct {
		name    string
		aliases []string
	}{{"f1", nil}, {"rouge", nil}, {"x", []string{"rouge_l"}}, {"", nil}} {
		if err := tb.Add(dup.name, dup.aliases, 3); err == nil || !strings.HasPrefix(err.Error(), "widgets: ") {
			t.Errorf("Add(%q, %v) = %v, want a widgets: error", dup.name, dup.aliases, err)
		}
	}
	if e, ok := tb.Lookup("rouge"); !ok || e != 1 {
		t.Errorf("Lookup(alias) = %v, %v", e, ok)
	}
	if _, ok := tb.Lookup("nope"); ok {
		t.Error("Lookup of an unknown kind succeeded")
	}
	if got := tb.List(); got != "f1, rouge_l" {
		t.Errorf("List = %q: want kinds sorted, aliases left out", got)
	}
	if got := tb.Entries(); len(got) != 2 || got[0] != 2 || got[1] != 1 {
		t.Errorf("Entries = %v", got)
	}
}
