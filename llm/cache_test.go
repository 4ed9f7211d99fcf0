package llm

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/synth-dev/synth/llm/llmtest"
)

func TestCacheSecondRunSendsNoRequests(t *testing.T) {
	srv := llmtest.NewServer(t)
	dir := t.TempDir()
	prompts := []string{"how do I reset my password?", "delete account", "change email"}
	run := func(noCache bool) (*Meter, []Response) {
		meter := NewMeter()
		cl, _ := openTest(t, testConfig(srv), func(o *OpenOptions) {
			o.CacheDir, o.NoCache, o.Meter = dir, noCache, meter
		})
		var out []Response
		for _, p := range prompts {
			r, err := cl.Generate(context.Background(), Prompt(p))
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		if err := cl.Close(context.Background()); err != nil { // the end of a run: stored responses land
			t.Fatal(err)
		}
		return meter, out
	}

	_, first := run(false)
	if srv.Requests() != len(prompts) {
		t.Fatalf("first run: %d requests", srv.Requests())
	}
	srv.Reset()
	meter, second := run(false)
	if srv.Requests() != 0 {
		t.Fatalf("second run sent %d requests, want 0", srv.Requests())
	}
	for i := range second {
		if !second[i].Cached || second[i].Text != first[i].Text || second[i].Usage.TotalTokens != 0 {
			t.Fatalf("hit %d = %+v (first %+v)", i, second[i], first[i])
		}
	}
	if st := meter.Stats().Total; st.CacheHits != len(prompts) || st.Usage.TotalTokens != 0 {
		t.Fatalf("meter %+v", st)
	}
	// --no-cache goes to the server again.
	run(true)
	if srv.Requests() != len(prompts) {
		t.Fatalf("no-cache run sent %d requests", srv.Requests())
	}
}

func TestCacheKeyedByParams(t *testing.T) {
	base := CacheScope{Provider: "openai", Model: "gpt-4o-mini", BaseURL: "https://api.openai.com/v1"}
	req := Request{Messages: []Message{{System, "s"}, {User, "q"}}, Temperature: ptr(0.0), MaxTokens: 64}
	key := CacheKey(base, req)
	differ := map[string]func() (CacheScope, Request){
		"provider":    func() (CacheScope, Request) { s := base; s.Provider = "ollama"; return s, req },
		"model":       func() (CacheScope, Request) { s := base; s.Model = "gpt-4o"; return s, req },
		"base_url":    func() (CacheScope, Request) { s := base; s.BaseURL = "http://localhost:8000/v1"; return s, req },
		"temperature": func() (CacheScope, Request) { r := req; r.Temperature = ptr(0.5); return base, r },
		"temp unset":  func() (CacheScope, Request) { r := req; r.Temperature = nil; return base, r },
		"top_p":       func() (CacheScope, Request) { r := req; r.TopP = ptr(0.9); return base, r },
		"max_tokens":  func() (CacheScope, Request) { r := req; r.MaxTokens = 65; return base, r },
		"seed":        func() (CacheScope, Request) { r := req; r.Seed = ptr(1); return base, r },
		"seed 0":      func() (CacheScope, Request) { r := req; r.Seed = ptr(0); return base, r },
		"stop":        func() (CacheScope, Request) { r := req; r.Stop = []string{"\n"}; return base, r },
		"json":        func() (CacheScope, Request) { r := req; r.JSON = true; return base, r },
		"message": func() (CacheScope, Request) {
			r := req
			r.Messages = []Message{{System, "s"}, {User, "q?"}}
			return base, r
		},
		"role": func() (CacheScope, Request) {
			r := req
			r.Messages = []Message{{User, "s"}, {User, "q"}}
			return base, r
		},
		"split": func() (CacheScope, Request) {
			r := req
			r.Messages = []Message{{System, "sq"}, {User, ""}}
			return base, r
		},
	}
	for name, f := range differ {
		t.Run(name, func(t *testing.T) {
			if CacheKey(f()) == key {
				t.Fatalf("changing %s kept the key", name)
			}
		})
	}
	same := map[string]func() (CacheScope, Request){
		"item id":       func() (CacheScope, Request) { r := req; r.ItemID = "q-17"; return base, r },
		"trailing /":    func() (CacheScope, Request) { s := base; s.BaseURL += "/"; return s, req },
		"equal pointer": func() (CacheScope, Request) { r := req; r.Temperature = ptr(0.0); return base, r },
	}
	for name, f := range same {
		t.Run(name, func(t *testing.T) {
			if CacheKey(f()) != key {
				t.Fatalf("changing %s changed the key", name)
			}
		})
	}
}

func TestCacheNeverStoresKeyOrErrors(t *testing.T) {
	srv := llmtest.NewServer(t)
	srv.Handle(llmtest.LastUserContains("fail"), llmtest.Status(400, "nope"))
	dir := t.TempDir()
	cl, _ := openTest(t, testConfig(srv), func(o *OpenOptions) { o.CacheDir = dir })
	for _, p := range []string{"ok", "fail"} {
		_, _ = cl.Generate(context.Background(), Prompt(p))
	}
	cl.Close(context.Background()) // waits for the background writes
	c, _ := OpenCache(dir)
	if n, _ := c.Len(); n != 1 {
		t.Fatalf("%d entries, want 1 (errors are not cached)", n)
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if strings.Contains(string(b), canaryKey) {
				t.Errorf("%s contains the API key", p)
			}
		}
		return nil
	})
	// The failing prompt is asked again, not served from the cache.
	srv.Reset()
	_, _ = cl.Generate(context.Background(), Prompt("fail"))
	if srv.Requests() != 1 {
		t.Fatalf("%d requests", srv.Requests())
	}
}

func TestCacheSharedAcrossKeys(t *testing.T) {
	// Two users with different API keys share the cache: the key is not part of it.
	srv := llmtest.NewServer(t)
	dir := t.TempDir()
	for i, key := range []string{"sk-one-aaaaaaaaaaaa", "sk-two-bbbbbbbbbbbb"} {
		cl, _ := openTest(t, testConfig(srv), func(o *OpenOptions) {
			o.CacheDir = dir
			o.LookupEnv = env(map[string]string{"OPENAI_API_KEY": key})
		})
		r, err := cl.Generate(context.Background(), Prompt("q"))
		if err != nil || r.Cached != (i == 1) {
			t.Fatalf("user %d: %+v %v", i, r, err)
		}
		cl.Close(context.Background())
	}
}

func TestCacheCorruptEntryIsAMiss(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	scope := CacheScope{Provider: "openai", Model: "m"}
	key := CacheKey(scope, Prompt("q"))
	if err := c.Put(key, scope, Response{Text: "a"}); err != nil {
		t.Fatal(err)
	}
	if r, ok := c.Get(key); !ok || r.Text != "a" || !r.Cached {
		t.Fatalf("get %+v %v", r, ok)
	}
	for _, junk := range []string{"", "{", `{"v":1,"key":"other","text":"x"}`, `{"v":99,"text":"x"}`} {
		if err := os.WriteFile(c.path(key), []byte(junk), 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := c.Get(key); ok {
			t.Fatalf("corrupt entry %q was a hit", junk)
		}
	}
	if _, ok := c.Get("x"); ok {
		t.Fatal("short key was a hit")
	}
}

func TestCacheConcurrentWriters(t *testing.T) {
	// Many writers of the same keys (as two processes sharing a directory
	// would be) never leave a partial entry or a temporary file behind.
	dir := t.TempDir()
	scope := CacheScope{Provider: "openai", Model: "m"}
	var wg sync.WaitGroup
	for w := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := OpenCache(dir)
			if err != nil {
				t.Error(err)
				return
			}
			for i := range 50 {
				key := CacheKey(scope, Prompt(fmt.Sprint(i%10)))
				text := strings.Repeat(fmt.Sprint(i%10), 1000)
				if err := c.Put(key, scope, Response{Text: text}); err != nil {
					t.Error(err)
				}
				if r, ok := c.Get(key); ok && r.Text != text {
					t.Errorf("writer %d read a partial or wrong entry", w)
				}
			}
		}()
	}
	wg.Wait()
	c, _ := OpenCache(dir)
	if n, err := c.Len(); err != nil || n != 10 {
		t.Fatalf("%d entries (%v), want 10", n, err)
	}
	_ = filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.HasPrefix(d.Name(), ".tmp-") {
			t.Errorf("temporary file left: %s", p)
		}
		return nil
	})
}

func TestCacheWriteErrorDoesNotFailCall(t *testing.T) {
	dir := t.TempDir()
	c, _ := OpenCache(dir)
	// Make the shard directories impossible to create: a file where the cache dir was.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := c.Middleware(CacheScope{Provider: "p"})(ModelFunc(func(context.Context, Request) (Response, error) {
		return Response{Text: "ok"}, nil
	}))
	r, err := m.Generate(context.Background(), Prompt("q"))
	if err != nil || r.Text != "ok" {
		t.Fatalf("%+v %v", r, err)
	}
	c.Flush()
	if n, last := c.WriteErrors(); n != 1 || last == nil {
		t.Fatalf("write errors %d %v", n, last)
	}
}

func TestCacheStoresOffThePathAndFlushWaits(t *testing.T) {
	dir := t.TempDir()
	c, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := c.Middleware(CacheScope{Provider: "p", Model: "m"})(ModelFunc(func(_ context.Context, req Request) (Response, error) {
		return Response{Text: "answer to " + req.Messages[0].Content}, nil
	}))
	const n = 200 // more than the background writers: some calls write themselves
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if _, err := m.Generate(context.Background(), Prompt(fmt.Sprint("q", i))); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	c.Flush()
	if got, err := c.Len(); err != nil || got != n {
		t.Fatalf("%d entries after Flush, want %d", got, n)
	}
	for i := range n {
		r, err := m.Generate(context.Background(), Prompt(fmt.Sprint("q", i)))
		if err != nil || !r.Cached || r.Text != fmt.Sprint("answer to q", i) {
			t.Fatalf("q%d: %+v %v", i, r, err)
		}
	}
}
