package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

// topicHint finds the failed question the qa generator's prompt names.
var topicHint = regexp.MustCompile(`asked "What is the door code of storage room (\d+)\?"`)

// roomFacts are one fact per storage room, worded apart from each other so
// that no generated row is a near-duplicate of another: {fact, question,
// another question}.
var roomFacts = [][3]string{
	{"Bicycles must be locked to the steel rack beside the north wall.", "Where do cyclists leave their bikes?", "Is there somewhere to park a bicycle?"},
	{"Paint cans are stored on the bottom shelf, never above knee height.", "Which shelf holds paint?", "Can I put tins of paint up high?"},
	{"The freight elevator needs a yellow badge from reception.", "How can I use the freight lift?", "Who gives out the yellow pass for the elevator?"},
	{"Cardboard goes into the blue recycling cage behind the loading dock.", "What happens to empty boxes?", "Where do I recycle cardboard?"},
	{"A fire extinguisher hangs next to the emergency exit sign.", "Is there an extinguisher nearby?", "Where is the emergency exit sign?"},
	{"Pallets heavier than 500 kilograms require a forklift permit.", "Do I need a permit for heavy pallets?", "How heavy can a pallet be without a permit?"},
	{"Tenants may borrow the hand truck for two hours at a time.", "Can I borrow a dolly?", "For how long may tenants keep the hand truck?"},
	{"Humidity sensors alert facilities staff when moisture rises above sixty percent.", "What monitors dampness?", "At what moisture level are facilities staff alerted?"},
	{"Lost keys cost a twenty euro replacement fee.", "What if I misplace my key?", "How much is a replacement key?"},
	{"Chemicals and solvents are banned entirely.", "May I keep solvents there?", "Are chemicals permitted?"},
	{"Parking in front of the roller shutter is limited to fifteen minutes.", "How long can vans wait outside?", "Is there a time limit for parking at the shutter?"},
	{"Motion lights switch off automatically after ten quiet minutes.", "Why did the lamps turn off?", "When do the motion lights go off?"},
	{"Insurance covers contents up to three thousand pounds.", "How much does the policy cover?", "What is the insurance limit for contents?"},
	{"Pets, including dogs, are not allowed inside.", "Could my puppy come along?", "Are dogs allowed?"},
	{"Wi-Fi reaches only the corridor, so download manuals beforehand.", "Does the internet work there?", "Where does the Wi-Fi reach?"},
	{"Cleaning crews sweep every Thursday morning.", "When is it cleaned?", "Which day do the cleaners come?"},
}

// factDocs returns one help doc per storage room, holding its door code
// and its fact in one chunk.
func factDocs(n int) map[string]string {
	files := map[string]string{}
	for i := 1; i <= n; i++ {
		files[fmt.Sprintf("docs/room-%02d.md", i)] = fmt.Sprintf("# Storage room %d\n\nThe door code of storage room %d is %d. %s\n", i, i, 4000+(i-1)*7, roomFacts[i-1][0])
	}
	return files
}

// generatorReplies makes the fake server answer the qa generator's prompts
// with a grounded pair about the failed item's room fact: the first
// question, or the other one once the prompt lists the first as accepted.
func generatorReplies(srv *fakeServer) {
	srv.HandleFunc(llmtest.Any(), func(r llmtest.ChatRequest) llmtest.Reply {
		m := topicHint.FindStringSubmatch(r.LastUser())
		if m == nil {
			return llmtest.Status(400, "e2e: not a generator prompt")
		}
		var room int
		fmt.Sscan(m[1], &room)
		f := roomFacts[(room-1)%len(roomFacts)]
		q := f[1]
		if strings.Contains(r.LastUser(), f[1]) { // already accepted: the prompt lists it
			q = f[2]
		}
		return llmtest.JSON(map[string]any{"pairs": []map[string]any{{"question": q, "answer": f[0]}}})
	})
}

// generateProject is a project with help docs, an eval run in which every
// item failed (a replay model that always refuses), and a generator model
// on a fake server answering after latency.
func generateProject(t *testing.T, items []item, latency time.Duration) *project {
	t.Helper()
	return generateProjectWith(t, items, nil, latency)
}

// generateProjectWith is generateProject with the fake server's handler
// wrapped by wrap.
func generateProjectWith(t *testing.T, items []item, wrap func(http.Handler) http.Handler, latency time.Duration) *project {
	t.Helper()
	srv := newFake(t, wrap, llmtest.WithLatency(latency))
	generatorReplies(srv)
	files := factDocs(len(items))
	files["evalset.jsonl"] = evalSetJSONL(items)
	var outs strings.Builder
	for _, it := range items {
		fmt.Fprintf(&outs, "{\"id\": %q, \"output\": \"Sorry, I don't understand. Please contact support.\"}\n", it.ID)
	}
	files["outputs.jsonl"] = outs.String()
	files["synth.yaml"] = fmt.Sprintf(`models:
  bot: {provider: replay, path: outputs.jsonl}
  gen: %s
knowledge: {docs: ["docs/*.md"]}
eval: {dataset: evalset.jsonl, model: bot}
generate: {model: gen, per_failure: 2, max_rounds: 3, concurrency: 1}
`, remoteModel(srv.URL(), "timeout: 20s, max_retries: 0"))
	p := newProject(t, files)
	p.mustRun(0, "eval", "--quiet")
	return p
}

// row is what must be equal between two generations: the accepted rows'
// failed item, question and answer.
type row struct{ Item, Question, Answer string }

// readRows reads the accepted rows strictly and checks none is repeated.
func readRows(t *testing.T, path string) []row {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 0 && data[len(data)-1] != '\n' {
		t.Fatalf("%s does not end with a newline (torn last line?)", path)
	}
	var rows []row
	seen := map[row]bool{}
	for n, line := range strings.Split(strings.TrimSuffix(string(data), "\n"), "\n") {
		if line == "" {
			continue
		}
		var rec dataset.Record
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%s:%d: %v", path, n+1, err)
		}
		r := row{rec.Provenance.FailedItem, rec.Question, rec.Answer}
		if seen[r] {
			t.Errorf("%s:%d: row repeated: %+v", path, n+1, r)
		}
		seen[r] = true
		rows = append(rows, r)
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Item != rows[j].Item {
			return rows[i].Item < rows[j].Item
		}
		return rows[i].Question < rows[j].Question
	})
	return rows
}

// generateSummary reads data/generate-summary.json.
func generateSummary(t *testing.T, p *project) map[string]any {
	t.Helper()
	b, err := os.ReadFile(p.path("data/generate-summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	var s map[string]any
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("generate-summary.json: %v", err)
	}
	return s
}

// TestGenerateInterruptResume interrupts synth generate with SIGINT and
// with SIGKILL (plus a torn last line in the output), resumes it, and
// compares the accepted rows with an uninterrupted generation's.
func TestGenerateInterruptResume(t *testing.T) {
	t.Parallel()
	items := makeItems(16)
	want := referenceRows(t, items)

	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGKILL} {
		t.Run(sig.String(), func(t *testing.T) {
			t.Parallel()
			p := generateProject(t, items, 30*time.Millisecond)
			out := p.path("data/synthetic.jsonl")
			pr := p.start("generate", "--from", "runs/latest")
			waitFor(t, pr, "7 accepted rows", func() bool { return countLines(out) >= 7 })
			pr.signal(sig)
			r := pr.wait()
			noCrash(t, r)
			switch sig {
			case syscall.SIGINT:
				if r.code != 130 || !strings.Contains(r.stderr, "--resume") {
					t.Fatalf("SIGINT: want exit 130 and how to resume\n%s", r)
				}
				if s := generateSummary(t, p); s["interrupted"] != true {
					t.Errorf("generate-summary.json after SIGINT is not marked interrupted: %v", s)
				}
			case syscall.SIGKILL:
				if r.code != 128+int(syscall.SIGKILL) {
					t.Fatalf("SIGKILL: want exit %d\n%s", 128+int(syscall.SIGKILL), r)
				}
				f, err := os.OpenFile(out, os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Fatal(err)
				}
				f.WriteString(`{"question": "Half a row for storage room 99", "answer": "Pre`)
				f.Close()
			}
			got := len(readRowsLoose(t, out))
			if got >= len(want) {
				t.Fatalf("the generation finished (%d rows) before the signal", got)
			}
			r = p.mustRun(0, "generate", "--from", "runs/latest", "--resume", "--quiet")
			if !reflect.DeepEqual(readRows(t, out), want) {
				t.Errorf("rows after resume differ from an uninterrupted generation:\n got  %v\n want %v\n%s", readRows(t, out), want, r)
			}
			if s := generateSummary(t, p); s["interrupted"] == true {
				t.Errorf("generate-summary.json after resume is still interrupted: %v", s)
			}
		})
	}
}

// readRowsLoose counts the whole lines of a file that may end torn.
func readRowsLoose(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(data), "\n")
	return lines[:len(lines)-1]
}

// referenceRows runs an uninterrupted generation for items and returns its
// rows: two per failed item.
func referenceRows(t *testing.T, items []item) []row {
	t.Helper()
	ref := generateProject(t, items, 0)
	ref.mustRun(0, "generate", "--from", "runs/latest", "--quiet")
	want := readRows(t, ref.path("data/synthetic.jsonl"))
	if len(want) != 2*len(items) {
		t.Fatalf("the reference generation accepted %d rows for %d failed items, want 2 each", len(want), len(items))
	}
	return want
}

// TestGenerateResumeAfterOutage runs synth generate while the generator
// model is down: every item fails, synth exits 3 and says to fix the cause
// and rerun with --resume. Once the model is back, --resume must generate
// what an undisturbed run would have.
func TestGenerateResumeAfterOutage(t *testing.T) {
	t.Parallel()
	items := makeItems(6)
	want := referenceRows(t, items)
	var down atomic.Bool
	down.Store(true)
	p := generateProjectWith(t, items, func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if down.Load() {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(503)
				io.WriteString(w, `{"error": {"message": "down for maintenance", "type": "server_error"}}`)
				return
			}
			next.ServeHTTP(w, r)
		})
	}, 0)
	r := p.mustRun(3, "generate", "--from", "runs/latest", "--quiet")
	if !strings.Contains(r.stderr, "--resume") {
		t.Errorf("exit 3 without the way on\n%s", r)
	}
	if rows := readRowsLoose(t, p.path("data/synthetic.jsonl")); len(rows) != 0 {
		t.Fatalf("rows accepted while the generator was down: %v", rows)
	}
	down.Store(false)
	r = p.mustRun(0, "generate", "--from", "runs/latest", "--resume", "--quiet")
	if got := readRows(t, p.path("data/synthetic.jsonl")); !reflect.DeepEqual(got, want) {
		t.Errorf("rows after the outage and --resume differ from an undisturbed generation:\n got  %v\n want %v\n%s", got, want, r)
	}
}
