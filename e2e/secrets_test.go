package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/llm/llmtest"
)

// leakyProvider wraps the fake server with a provider that puts the API key
// it received into its answers to some questions: a 401 that echoes the
// Authorization header (as some gateways do), a 500 quoting the request
// headers, a 429 naming the key, and a 200 whose malformed body holds it.
func leakyProvider(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		auth := r.Header.Get("Authorization")
		key := strings.TrimPrefix(auth, "Bearer ")
		apiErr := func(status int, msg string) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Retry-After-Ms", "5")
			w.WriteHeader(status)
			b, _ := json.Marshal(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": "e2e"}})
			w.Write(b)
		}
		switch {
		case bytes.Contains(body, []byte("AUTHFAIL")):
			apiErr(401, "Incorrect API key provided: "+auth+". Find your key at the dashboard.")
		case bytes.Contains(body, []byte("SERVERFAIL")):
			apiErr(500, fmt.Sprintf("upstream failed for request with headers {Authorization: %s, X-Api-Key: %s} and query ?api_key=%s&x=1", auth, key, key))
		case bytes.Contains(body, []byte("QUOTAFAIL")):
			apiErr(429, "key "+key+" has exceeded its quota")
		case bytes.Contains(body, []byte("MALFORMED")):
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(200)
			io.WriteString(w, `{"id": "x", "choices": [{"message": {"role": "assistant", "content": "your key is `+key)
		case r.URL.Path == "/v1/fine_tuning/jobs" && bytes.Contains(body, []byte(`"suffix":"leaky"`)):
			apiErr(400, "training file rejected for key "+key)
		default:
			next.ServeHTTP(w, r)
		}
	})
}

// leaks returns, for every file under root (but the user's own files in
// skip) and every text in outs that holds the canary (whole or cut), where
// it is.
func leaks(t *testing.T, root string, outs map[string]string, skip ...string) []string {
	t.Helper()
	var found []string
	check := func(where string, data []byte) {
		if bytes.Contains(data, []byte(canaryCore)) {
			i := bytes.Index(data, []byte(canaryCore))
			found = append(found, fmt.Sprintf("%s: ...%q...", where, data[max(0, i-80):min(len(data), i+40)]))
		}
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(path)
			if err == nil {
				check(path+" (link)", []byte(target))
			}
			return nil
		}
		for _, sk := range skip {
			if path == filepath.Join(root, sk) {
				return nil
			}
		}
		if d.IsDir() {
			check(path+" (name)", []byte(d.Name()))
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		check(path, data)
		check(path+" (name)", []byte(d.Name()))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for where, text := range outs {
		check(where, []byte(text))
	}
	return found
}

// TestSecretsNeverLeak runs eval (with failing calls whose error bodies
// hold the API key), eval --json and --junit, compare, ask, generate, tune
// and the tuned-model registry with a canary key in the environment: no file of the
// project and no output of synth may contain it.
func TestSecretsNeverLeak(t *testing.T) {
	t.Parallel()
	items := makeItems(12)
	for i, tag := range map[int]string{1: "AUTHFAIL", 2: "SERVERFAIL", 3: "QUOTAFAIL", 5: "MALFORMED"} {
		items[i].Question += " (" + tag + ")"
	}
	srv := newFake(t, leakyProvider, llmtest.WithAuth(canary))
	scriptItems(srv, items)
	llmtest.NewFineTune(srv.Handler)
	files := helpDocs(4)
	files["evalset.jsonl"] = evalSetJSONL(items)
	files["train.jsonl"] = trainingData(12)
	files["synth.yaml"] = fmt.Sprintf(`models:
  fake: %s
knowledge: {docs: ["docs/*.md"]}
eval: {dataset: evalset.jsonl, model: fake, concurrency: 4}
generate: {model: fake, max_rounds: 1}
`, remoteModel(srv.URL(), "timeout: 5s, max_retries: 1"))
	p := newProject(t, files)
	outs := map[string]string{}
	keep := func(r result) result {
		noCrash(t, r)
		outs[fmt.Sprintf("synth %s: stdout", strings.Join(r.args, " "))] = r.stdout
		outs[fmt.Sprintf("synth %s: stderr", strings.Join(r.args, " "))] = r.stderr
		return r
	}

	r := keep(p.mustRun(0, "eval", "--junit", "junit.xml"))
	dir := onlyRun(t, p.path("runs"))
	byID := onePerItem(t, readResults(t, filepath.Join(dir, dataset.ResultsFile)), items)
	for _, i := range []int{1, 2, 3, 5} {
		res := byID[items[i].ID]
		if res.Label != dataset.Error {
			t.Errorf("item %s (%s): label %s, want error\n%s", res.ID, items[i].Question, res.Label, r)
		}
		outs["error of "+res.ID] = res.Error
	}
	if e := byID[items[1].ID].Error; !strings.Contains(e, "authentication failed") || !strings.Contains(e, "Incorrect API key") {
		t.Errorf("the 401's message lost its meaning in redaction: %q", e)
	}
	keep(p.mustRun(0, "eval", "--json", "--quiet"))
	runs := runDirs(t, p.path("runs"))
	keep(p.mustRun(0, "compare", runs[0], runs[1]))
	keep(p.mustRun(0, "compare", "--json", runs[0], runs[1]))
	keep(p.mustRun(0, "compare", "--md", runs[0], runs[1]))
	keep(p.run("ask", "--model", "fake", items[1].Question))
	keep(p.run("ask", "--model", "fake", items[2].Question))
	keep(p.mustRun(0, "eval", "--dry-run", "--json"))
	// The generator model fails too (the prompts name the failed questions).
	if r := keep(p.run("generate", "--from", "runs/latest", "--quiet")); r.code != 0 && r.code != 3 {
		t.Fatalf("generate: want exit 0 or 3\n%s", r)
	}
	if _, err := os.Stat(p.path("data/generate-summary.json")); err != nil {
		t.Errorf("generate wrote no summary: %v", err)
	}
	keep(p.run("generate", "--from", "runs/latest", "--resume", "--json"))
	keep(p.mustRun(0, "tune", "--data", "train.jsonl", "--base", "fake", "--name", "tuned", "--poll", "5ms", "--quiet"))
	keep(p.run("tune", "--data", "train.jsonl", "--base", "fake", "--name", "leaky", "--suffix", "leaky", "--poll", "5ms", "--quiet"))
	keep(p.mustRun(0, "tune", "list", "--json"))
	if _, err := os.Stat(p.path(".synth/models.json")); err != nil {
		t.Errorf("no tuned-model registry was written: %v", err)
	}
	// A key in the config file's api_key_env is a name, not the key; a key
	// pasted there must not be echoed back.
	p.write("synth.yaml", fmt.Sprintf("models:\n  fake: {provider: openai, model: x, api_key_env: %q}\neval: {dataset: evalset.jsonl, model: fake}\n", canary))
	keep(p.run("eval", "--quiet"))

	for _, l := range leaks(t, p.dir, outs, "synth.yaml") {
		t.Errorf("the API key leaked into %s", l)
	}
}

// trainingData returns n question-answer lines for synth tune.
func trainingData(n int) string {
	var b strings.Builder
	for _, it := range makeItems(n) {
		fmt.Fprintf(&b, "{\"question\": %q, \"answer\": %q}\n", it.Question, it.Answer)
	}
	return b.String()
}
