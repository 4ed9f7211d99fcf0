package llmtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

type chatResp struct {
	Model   string `json:"model"`
	Object  string `json:"object"`
	Choices []struct {
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage Usage `json:"usage"`
}

func post(t *testing.T, ctx context.Context, s *Server, path string, body any, hdr ...string) (*http.Response, []byte, error) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, s.URL()+path, bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := s.Client().Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	return resp, out, err
}

func chatBody(msgs ...string) map[string]any {
	var ms []map[string]any
	for i := 0; i+1 < len(msgs); i += 2 {
		ms = append(ms, map[string]any{"role": msgs[i], "content": msgs[i+1]})
	}
	return map[string]any{"model": "llmtest", "messages": ms}
}

func ask(t *testing.T, s *Server, prompt string) (int, string) {
	t.Helper()
	resp, body, err := post(t, context.Background(), s, "/chat/completions", chatBody("user", prompt))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		return resp.StatusCode, string(body)
	}
	var cr chatResp
	if err := json.Unmarshal(body, &cr); err != nil {
		t.Fatalf("bad JSON %q: %v", body, err)
	}
	return 200, cr.Choices[0].Message.Content
}

func TestChatResponseShape(t *testing.T) {
	s := NewServer(t)
	resp, body, err := post(t, context.Background(), s, "/chat/completions",
		chatBody("system", "be brief", "user", "hello there"))
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 || resp.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("status %d, content type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	var cr chatResp
	if err := json.Unmarshal(body, &cr); err != nil {
		t.Fatal(err)
	}
	if cr.Object != "chat.completion" || cr.Model != "llmtest" || len(cr.Choices) != 1 {
		t.Fatalf("unexpected response %s", body)
	}
	if got := cr.Choices[0].Message; got.Role != "assistant" || got.Content != "echo: hello there" {
		t.Fatalf("message = %+v", got)
	}
	want := Usage{PromptTokens: EstimateTokens("be brief") + EstimateTokens("hello there"), CompletionTokens: EstimateTokens("echo: hello there")}
	want.TotalTokens = want.PromptTokens + want.CompletionTokens
	if cr.Usage != want {
		t.Fatalf("usage = %+v, want %+v", cr.Usage, want)
	}
}

func TestChatBadRequests(t *testing.T) {
	s := NewServer(t, WithModels("m1"))
	cases := []struct {
		name string
		body any
		want int
	}{
		{"no model", map[string]any{"messages": []any{map[string]any{"role": "user", "content": "x"}}}, 400},
		{"no messages", map[string]any{"model": "m1", "messages": []any{}}, 400},
		{"stream", map[string]any{"model": "m1", "stream": true, "messages": []any{map[string]any{"role": "user", "content": "x"}}}, 400},
		{"unknown model", map[string]any{"model": "nope", "messages": []any{map[string]any{"role": "user", "content": "x"}}}, 404},
		{"not JSON", "just a string", 400},
		{"known model", map[string]any{"model": "m1", "messages": []any{map[string]any{"role": "user", "content": "x"}}}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			resp, body, err := post(t, context.Background(), s, "/chat/completions", c.body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, c.want, body)
			}
			if c.want != 200 && !strings.Contains(string(body), `"error"`) {
				t.Fatalf("error body %s lacks an error object", body)
			}
		})
	}
}

func TestContentParts(t *testing.T) {
	s := NewServer(t)
	body := map[string]any{"model": "x", "messages": []any{map[string]any{"role": "user", "content": []any{
		map[string]any{"type": "text", "text": "part one, "},
		map[string]any{"type": "image_url", "image_url": map[string]any{"url": "data:"}},
		map[string]any{"type": "text", "text": "part two"},
	}}}}
	if _, _, err := post(t, context.Background(), s, "/chat/completions", body); err != nil {
		t.Fatal(err)
	}
	got := s.ChatRequests()
	if len(got) != 1 || got[0].LastUser() != "part one, part two" {
		t.Fatalf("parsed %+v", got)
	}
}

func TestRules(t *testing.T) {
	s := NewServer(t, WithDefault(Text("I don't know")))
	s.Handle(LastUserContains("password"), Text("first"), Text("second"))
	s.Handle(LastUserMatches(regexp.MustCompile(`(?i)^delete\b`)), Text("deleted"))
	s.Handle(AnyContains("SYSTEM-MARK"), Text("saw system"))
	fn := s.HandleFunc(LastUserContains("upper:"), func(r ChatRequest) Reply {
		return Text(strings.ToUpper(strings.TrimPrefix(r.LastUser(), "upper:")))
	})

	cases := []struct{ prompt, want string }{
		{"reset my password", "first"},
		{"password again", "second"},
		{"password thrice", "second"}, // the last reply repeats
		{"Delete my account", "deleted"},
		{"undelete", "I don't know"},
		{"upper:abc", "ABC"},
		{"anything", "I don't know"},
	}
	for _, c := range cases {
		t.Run(c.prompt, func(t *testing.T) {
			if code, got := ask(t, s, c.prompt); code != 200 || got != c.want {
				t.Fatalf("got %d %q, want %q", code, got, c.want)
			}
		})
	}
	if fn.Calls() != 1 {
		t.Fatalf("func rule calls = %d", fn.Calls())
	}

	// AnyContains looks at system messages too.
	resp, body, err := post(t, context.Background(), s, "/chat/completions", chatBody("system", "SYSTEM-MARK", "user", "hi"))
	if err != nil || resp.StatusCode != 200 || !strings.Contains(string(body), "saw system") {
		t.Fatalf("system rule: %v %s", err, body)
	}
}

func TestModelIsAndUsageOverride(t *testing.T) {
	s := NewServer(t)
	s.Handle(ModelIs("other"), Text("other model").WithUsage(100, 7))
	body := chatBody("user", "x")
	body["model"] = "other"
	_, b, err := post(t, context.Background(), s, "/chat/completions", body)
	if err != nil {
		t.Fatal(err)
	}
	var cr chatResp
	if err := json.Unmarshal(b, &cr); err != nil {
		t.Fatal(err)
	}
	if cr.Choices[0].Message.Content != "other model" || cr.Usage != (Usage{100, 7, 107}) {
		t.Fatalf("got %s", b)
	}
}

func TestFaults(t *testing.T) {
	s := NewServer(t)
	s.Handle(LastUserContains("429"), RateLimited(1500*time.Millisecond))
	s.Handle(LastUserContains("500"), ServerError())
	s.Handle(LastUserContains("418"), Status(418, "teapot"))
	s.Handle(LastUserContains("malformed"), Malformed())
	s.Handle(LastUserContains("drop"), Drop())
	s.Handle(LastUserContains("hang"), Hang())

	t.Run("429", func(t *testing.T) {
		resp, body, err := post(t, context.Background(), s, "/chat/completions", chatBody("user", "429"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || resp.Header.Get("Retry-After-Ms") != "1500" {
			t.Fatalf("status %d headers %v", resp.StatusCode, resp.Header)
		}
		if !strings.Contains(string(body), "rate_limit_exceeded") {
			t.Fatalf("body %s", body)
		}
	})
	t.Run("500", func(t *testing.T) {
		if code, _ := ask(t, s, "500"); code != 500 {
			t.Fatalf("status %d", code)
		}
	})
	t.Run("status", func(t *testing.T) {
		if code, body := ask(t, s, "418"); code != 418 || !strings.Contains(body, "teapot") {
			t.Fatalf("status %d %s", code, body)
		}
	})
	t.Run("malformed", func(t *testing.T) {
		resp, body, err := post(t, context.Background(), s, "/chat/completions", chatBody("user", "malformed"))
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != 200 || json.Valid(body) {
			t.Fatalf("status %d, valid JSON %q", resp.StatusCode, body)
		}
	})
	t.Run("drop", func(t *testing.T) {
		_, _, err := post(t, context.Background(), s, "/chat/completions", chatBody("user", "drop"))
		if err == nil {
			t.Fatal("dropped connection gave no error")
		}
	})
	t.Run("hang", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
		defer cancel()
		_, _, err := post(t, ctx, s, "/chat/completions", chatBody("user", "hang"))
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("err = %v, want deadline exceeded", err)
		}
	})
}

func TestHangReleasedOnClose(t *testing.T) {
	s := NewServer(t, WithDefault(Hang()))
	done := make(chan error, 1)
	go func() {
		_, _, err := post(t, context.Background(), s, "/chat/completions", chatBody("user", "x"))
		done <- err
	}()
	for s.InFlight() == 0 {
		time.Sleep(time.Millisecond)
	}
	s.Close()
	<-done // returns (with a 503 or an error) instead of blocking forever
}

func TestAuth(t *testing.T) {
	cases := []struct {
		name string
		opts []Option
		hdr  []string
		want int
	}{
		{"not required", nil, nil, 200},
		{"missing", []Option{WithAuth()}, nil, 401},
		{"empty bearer", []Option{WithAuth()}, []string{"Authorization", "Bearer "}, 401},
		{"not bearer", []Option{WithAuth()}, []string{"Authorization", "Basic abc"}, 401},
		{"any bearer", []Option{WithAuth()}, []string{"Authorization", "Bearer abc"}, 200},
		{"wrong key", []Option{WithAuth("sk-right")}, []string{"Authorization", "Bearer sk-wrong"}, 401},
		{"right key", []Option{WithAuth("sk-right")}, []string{"Authorization", "Bearer sk-right"}, 200},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := NewServer(t, c.opts...)
			resp, body, err := post(t, context.Background(), s, "/chat/completions", chatBody("user", "x"), c.hdr...)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != c.want {
				t.Fatalf("status %d, want %d", resp.StatusCode, c.want)
			}
			if c.want == 401 && !strings.Contains(string(body), "invalid_api_key") {
				t.Fatalf("401 body %s", body)
			}
			if s.Requests() != 1 {
				t.Fatalf("requests = %d, want 1 (rejected requests count too)", s.Requests())
			}
		})
	}
}

func TestEnqueueScriptsAnyRoute(t *testing.T) {
	s := NewServer(t)
	s.Enqueue("/v1/embeddings", append(Times(2, RateLimited(time.Second)), ServerError())...)
	body := map[string]any{"model": "e", "input": "x"}
	var codes []int
	for range 4 {
		resp, _, err := post(t, context.Background(), s, "/embeddings", body)
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.StatusCode)
	}
	if want := []int{429, 429, 500, 200}; !equalInts(codes, want) {
		t.Fatalf("codes %v, want %v", codes, want)
	}
	// A scripted text answers a chat call.
	s.Enqueue("/v1/chat/completions", Text("scripted"))
	if _, got := ask(t, s, "q"); got != "scripted" {
		t.Fatalf("got %q", got)
	}
	if _, got := ask(t, s, "q"); got != "echo: q" {
		t.Fatalf("queue not consumed: %q", got)
	}
}

func equalInts(a, b []int) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func TestRandomFaultsAreSeeded(t *testing.T) {
	run := func() []int {
		s := NewServer(t, WithFaults(42, FaultRates{RateLimit: 0.2, Server: 0.1, Malformed: 0.1}))
		var codes []int
		for range 200 {
			resp, body, err := post(t, context.Background(), s, "/chat/completions", chatBody("user", "x"))
			if err != nil {
				t.Fatal(err)
			}
			code := resp.StatusCode
			if code == 200 && !json.Valid(body) {
				code = -1
			}
			codes = append(codes, code)
		}
		return codes
	}
	a, b := run(), run()
	if !equalInts(a, b) {
		t.Fatal("same seed gave different fault sequences")
	}
	n := map[int]int{}
	for _, c := range a {
		n[c]++
	}
	// 200 draws: expect ~40 429s, ~20 500s, ~20 malformed; allow wide margins.
	if n[429] < 20 || n[429] > 60 || n[500] < 8 || n[500] > 35 || n[-1] < 8 || n[-1] > 35 || n[200] < 100 {
		t.Fatalf("fault counts %v far from the rates", n)
	}
}

func TestFaultRatesPick(t *testing.T) {
	f := FaultRates{RateLimit: 0.25, Server: 0.25, Hang: 0.25, Drop: 0.25}
	cases := []struct {
		u    float64
		want Reply
		ok   bool
	}{
		{0, RateLimited(0), true},
		{0.3, ServerError(), true},
		{0.6, Hang(), true},
		{0.9, Drop(), true},
	}
	for _, c := range cases {
		got, ok := f.pick(c.u)
		if ok != c.ok || got.Status != c.want.Status || got.Fault != c.want.Fault {
			t.Fatalf("pick(%v) = %+v %v", c.u, got, ok)
		}
	}
	if _, ok := (FaultRates{RateLimit: 0.5}).pick(0.5); ok {
		t.Fatal("u past the rates should not fail")
	}
}

func TestEmbeddings(t *testing.T) {
	s := NewServer(t, WithEmbeddingDim(16))
	cases := []struct {
		name  string
		input any
		dims  int
		want  []string
		dim   int
	}{
		{"single", "hello", 0, []string{"hello"}, 16},
		{"batch", []string{"a", "b", "a"}, 0, []string{"a", "b", "a"}, 16},
		{"dimensions", "x", 8, []string{"x"}, 8},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			body := map[string]any{"model": "e", "input": c.input}
			if c.dims > 0 {
				body["dimensions"] = c.dims
			}
			resp, b, err := post(t, context.Background(), s, "/embeddings", body)
			if err != nil || resp.StatusCode != 200 {
				t.Fatalf("%v %s", err, b)
			}
			var er struct {
				Data []struct {
					Index     int       `json:"index"`
					Embedding []float32 `json:"embedding"`
				} `json:"data"`
			}
			if err := json.Unmarshal(b, &er); err != nil {
				t.Fatal(err)
			}
			if len(er.Data) != len(c.want) {
				t.Fatalf("%d vectors, want %d", len(er.Data), len(c.want))
			}
			for i, d := range er.Data {
				want := Embed(c.want[i], c.dim)
				if d.Index != i || len(d.Embedding) != c.dim {
					t.Fatalf("vector %d: index %d dim %d", i, d.Index, len(d.Embedding))
				}
				for j := range want {
					if d.Embedding[j] != want[j] {
						t.Fatalf("vector %d differs from Embed", i)
					}
				}
			}
		})
	}
	t.Run("bad", func(t *testing.T) {
		for _, body := range []map[string]any{
			{"model": "e"},
			{"input": "x"},
			{"model": "e", "input": 3},
			{"model": "e", "input": "x", "encoding_format": "base64"},
		} {
			resp, _, err := post(t, context.Background(), s, "/embeddings", body)
			if err != nil || resp.StatusCode != 400 {
				t.Fatalf("%v: status %v err %v", body, resp.StatusCode, err)
			}
		}
	})
}

func TestEmbedUnitAndDeterministic(t *testing.T) {
	for _, text := range []string{"", "a", "hello world", strings.Repeat("z", 1000)} {
		for _, dim := range []int{1, 3, 64, 512} {
			v := Embed(text, dim)
			var n float64
			for _, x := range v {
				n += float64(x) * float64(x)
			}
			if math.Abs(n-1) > 1e-5 {
				t.Fatalf("Embed(%q, %d) norm² = %v", text, dim, n)
			}
			w := Embed(text, dim)
			for i := range v {
				if v[i] != w[i] {
					t.Fatal("not deterministic")
				}
			}
		}
	}
	a, b := Embed("cat", 32), Embed("dog", 32)
	same := true
	for i := range a {
		same = same && a[i] == b[i]
	}
	if same {
		t.Fatal("different texts gave the same vector")
	}
	if Embed("x", 0) != nil {
		t.Fatal("dim 0 should give nil")
	}
}

func TestModels(t *testing.T) {
	s := NewServer(t, WithModels("a", "b"), WithAuth())
	req, _ := http.NewRequest(http.MethodGet, s.URL()+"/models", nil)
	req.Header.Set("Authorization", "Bearer x")
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var ml struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ml); err != nil {
		t.Fatal(err)
	}
	if len(ml.Data) != 2 || ml.Data[0].ID != "a" || ml.Data[1].ID != "b" {
		t.Fatalf("models %+v", ml)
	}
}

func TestConcurrencyTrackingAndLog(t *testing.T) {
	s := NewServer(t, WithLatency(20*time.Millisecond))
	const n = 8
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := post(t, context.Background(), s, "/chat/completions", chatBody("user", strings.Repeat("q", i+1)), "X-Test", "yes")
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if s.Requests() != n || s.Count("/v1/chat/completions") != n {
		t.Fatalf("requests %d count %d", s.Requests(), s.Count("/v1/chat/completions"))
	}
	if m := s.MaxInFlight(); m < 2 || m > n {
		t.Fatalf("max in flight %d", m)
	}
	if s.InFlight() != 0 {
		t.Fatalf("in flight %d after all finished", s.InFlight())
	}
	log := s.Log()
	if len(log) != n || log[0].Header.Get("X-Test") != "yes" || log[0].Chat == nil {
		t.Fatalf("log %+v", log)
	}
	last, ok := s.LastRequest()
	if !ok || last.Path != "/v1/chat/completions" {
		t.Fatalf("last %+v", last)
	}
	s.Reset()
	if s.Requests() != 0 || len(s.Log()) != 0 || s.MaxInFlight() != 0 {
		t.Fatal("reset did not clear")
	}
}

func TestLogLimit(t *testing.T) {
	s := NewServer(t, WithLogLimit(2))
	for _, q := range []string{"a", "b", "c"} {
		ask(t, s, q)
	}
	log := s.Log()
	if len(log) != 2 || log[0].Chat.LastUser() != "b" || s.Requests() != 3 {
		t.Fatalf("log %d entries, requests %d", len(log), s.Requests())
	}
	s2 := NewServer(t, WithLogLimit(-1))
	ask(t, s2, "a")
	if len(s2.Log()) != 0 || s2.Requests() != 1 {
		t.Fatal("negative limit should keep no log")
	}
}

func TestRouteExtends(t *testing.T) {
	s := NewServer(t, WithAuth())
	s.Route("POST /v1/files", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		writeJSON(w, 200, map[string]any{"id": "file-1", "bytes": len(b)})
	})
	s.Enqueue("/v1/files", ServerError())
	codes := []int{}
	for range 2 {
		resp, _, err := post(t, context.Background(), s, "/files", map[string]any{"x": 1}, "Authorization", "Bearer k")
		if err != nil {
			t.Fatal(err)
		}
		codes = append(codes, resp.StatusCode)
	}
	if !equalInts(codes, []int{500, 200}) || s.Count("/v1/files") != 2 {
		t.Fatalf("codes %v count %d", codes, s.Count("/v1/files"))
	}
}

func TestParseChatRequestRaw(t *testing.T) {
	r, err := ParseChatRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"q"}],"top_p":0.5,"stop":"END","seed":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Has("top_p") || r.Has("temperature") || *r.TopP != 0.5 || r.Seed == nil || *r.Seed != 0 || len(r.Stop) != 1 {
		t.Fatalf("parsed %+v", r)
	}
}

func BenchmarkChat(b *testing.B) {
	s := NewServer(b, WithLogLimit(-1))
	body, _ := json.Marshal(chatBody("user", "hello"))
	client := s.Client()
	b.ReportAllocs()
	for b.Loop() {
		resp, err := client.Post(s.URL()+"/chat/completions", "application/json", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
}
