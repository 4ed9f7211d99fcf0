package dataset

import (
	"os"
	"reflect"
	"strings"
	"testing"
)

func items(ids ...string) []Item {
	out := make([]Item, len(ids))
	for i, id := range ids {
		out[i] = Item{ID: id, Question: "Q " + id}
	}
	return out
}

func ids(its []Item) []string {
	var out []string
	for _, it := range its {
		out = append(out, it.ID)
	}
	return out
}

func TestPlanResume(t *testing.T) {
	const results = `{"id":"a","label":"correct"}
{"id":"b","label":"error","error":"timeout"}
{"id":"gone","label":"wrong"}
{"id":"a","label":"wrong"}
{"id":"c","label":"refu`
	tests := []struct {
		name       string
		results    string
		redoErrors bool
		wantDone   map[string]Label
		wantTodo   []string
		wantDups   int
		wantTorn   bool
	}{
		{"fresh run", "", false, map[string]Label{}, []string{"a", "b", "c", "d"}, 0, false},
		{"keeps errors", results, false, map[string]Label{"a": Wrong, "b": Error}, []string{"c", "d"}, 1, true},
		{"redoes errors", results, true, map[string]Label{"a": Wrong}, []string{"b", "c", "d"}, 1, true},
		{"all done", `{"id":"a","label":"correct"}` + "\n" + `{"id":"b","label":"correct"}` + "\n" + `{"id":"c","label":"correct"}` + "\n" + `{"id":"d","label":"correct"}` + "\n",
			false, map[string]Label{"a": Correct, "b": Correct, "c": Correct, "d": Correct}, nil, 0, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if tt.results != "" {
				if err := os.WriteFile(RunDir{Path: dir}.File(ResultsFile), []byte(tt.results), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			p, err := PlanResume(dir, items("a", "b", "c", "d"), tt.redoErrors)
			if err != nil {
				t.Fatal(err)
			}
			done := map[string]Label{}
			for id, r := range p.Done {
				done[id] = r.Label
			}
			if !reflect.DeepEqual(done, tt.wantDone) {
				t.Errorf("done %v, want %v", done, tt.wantDone)
			}
			if !reflect.DeepEqual(ids(p.Todo), tt.wantTodo) {
				t.Errorf("todo %v, want %v", ids(p.Todo), tt.wantTodo)
			}
			if p.Duplicates != tt.wantDups || (p.Torn != nil) != tt.wantTorn {
				t.Errorf("duplicates %d, torn %v", p.Duplicates, p.Torn)
			}
			if tt.results == results && !reflect.DeepEqual(p.Unknown, []string{"gone"}) {
				t.Errorf("unknown %v", p.Unknown)
			}
		})
	}
	t.Run("a malformed middle line is an error", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(RunDir{Path: dir}.File(ResultsFile), []byte("{\"id\":\"a\"}\n{oops\n{\"id\":\"b\"}\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		_, err := PlanResume(dir, items("a"), false)
		if err == nil || !strings.Contains(err.Error(), "results.jsonl:2: not valid JSON") {
			t.Errorf("error %v", err)
		}
	})
}

// TestResumeAfterCrash simulates a SIGKILL mid-write: the torn line is
// repaired on reopening, the item is done again, and the final results
// equal an uninterrupted run's.
func TestResumeAfterCrash(t *testing.T) {
	all := items("a", "b", "c", "d", "e")
	grade := func(it Item) Result {
		return Result{ID: it.ID, Question: it.Question, Label: Correct, Output: "out " + it.ID}
	}

	d, err := CreateRun(t.TempDir(), "base", t0)
	if err != nil {
		t.Fatal(err)
	}
	w, err := d.OpenResults()
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range all[:2] {
		if err := w.Write(grade(it)); err != nil {
			t.Fatal(err)
		}
	}
	// "b" again (crash between write and bookkeeping), then a torn "c".
	if err := w.Write(grade(all[1])); err != nil {
		t.Fatal(err)
	}
	w.Close()
	f, _ := os.OpenFile(d.File(ResultsFile), os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"id":"c","question":"Q c","lab`)
	f.Close()

	p, err := PlanResume(d.Path, all, false)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(ids(p.Todo), []string{"c", "d", "e"}) || p.Torn == nil || p.Duplicates != 1 {
		t.Fatalf("plan: todo %v torn %v dups %d", ids(p.Todo), p.Torn, p.Duplicates)
	}
	w, err = d.OpenResults()
	if err != nil {
		t.Fatal(err)
	}
	if w.Repaired() == nil {
		t.Error("the torn line was not repaired")
	}
	for _, it := range p.Todo {
		if err := w.Write(grade(it)); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	dropped, err := CompactResults(d.Path)
	if err != nil || dropped != 1 {
		t.Fatalf("compact: dropped %d, %v", dropped, err)
	}
	got, torn, err := ReadJSONL[Result](d.File(ResultsFile))
	if err != nil || torn != nil {
		t.Fatal(err, torn)
	}
	var want []Result
	for _, it := range all {
		want = append(want, grade(it))
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("results after resume:\n got %+v\nwant %+v", got, want)
	}
	if dropped, err := CompactResults(d.Path); dropped != 0 || err != nil {
		t.Errorf("second compact: %d, %v", dropped, err)
	}
}

func TestCheckResume(t *testing.T) {
	set := &EvalSet{Path: "evalset.jsonl", Hash: "sha256:aa"}
	m := &Manifest{Run: "r1", Model: "base", DatasetHash: "sha256:aa"}
	if err := m.CheckResume("base", set); err != nil {
		t.Error(err)
	}
	if err := m.CheckResume("tuned", set); err == nil || err.Error() != `cannot resume run r1: it graded model "base", not "tuned"` {
		t.Errorf("model: %v", err)
	}
	changed := &EvalSet{Path: "evalset.jsonl", Hash: "sha256:bb"}
	if err := m.CheckResume("base", changed); err == nil || !strings.Contains(err.Error(), "the eval set evalset.jsonl changed") {
		t.Errorf("dataset: %v", err)
	}
}

func TestDedupeResults(t *testing.T) {
	in := []Result{{ID: "a", Output: "1"}, {ID: "b"}, {ID: "a", Output: "2"}, {ID: "c"}, {ID: "b", Output: "3"}}
	got, n := DedupeResults(in)
	var s []string
	for _, r := range got {
		s = append(s, r.ID+r.Output)
	}
	if strings.Join(s, ",") != "a2,c,b3" || n != 2 {
		t.Errorf("got %v, %d", s, n)
	}
	if got, n := DedupeResults(in[:2]); len(got) != 2 || n != 0 {
		t.Errorf("no duplicates: %v %d", got, n)
	}
}
