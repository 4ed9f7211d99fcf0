package llm

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/synth-dev/synth/dataset"
)

// cacheVersion changes when the key or entry format changes, so old
// entries are simply never hit again.
const cacheVersion = 1

// Cache is an on-disk response cache: one JSON file per entry under dir,
// named by the SHA-256 of the request's identity. Entries are written to a
// temporary file and renamed into place, so several processes can share a
// directory: readers see a whole entry or none. Safe for concurrent use.
type Cache struct {
	dir       string
	writeErrs atomic.Int64
	lastErr   atomic.Pointer[error]

	// Responses are stored off the caller's path: up to cap(writers) writes
	// run in the background; when they are all busy the caller writes itself
	// (back-pressure, so a slow disk cannot pile up goroutines). Flush waits.
	writers chan struct{}
	pending sync.WaitGroup
}

// backgroundWrites bounds the cache writes in flight at once.
const backgroundWrites = 16

// OpenCache returns the cache in dir, creating dir if needed.
func OpenCache(dir string) (*Cache, error) {
	if dir == "" {
		return nil, errors.New("cache: empty directory")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("cache: %w", err)
	}
	return &Cache{dir: dir, writers: make(chan struct{}, backgroundWrites)}, nil
}

// Flush waits for the responses being stored in the background. Call it
// before the process exits (Client.Close does), or they may be lost: only a
// cache miss later, never a wrong answer.
func (c *Cache) Flush() { c.pending.Wait() }

// store writes r under key off the caller's path when a writer is free, and
// on it otherwise.
func (c *Cache) store(key string, scope CacheScope, r Response) {
	put := func() {
		if err := c.Put(key, scope, r); err != nil {
			c.writeErrs.Add(1)
			c.lastErr.Store(&err)
		}
	}
	select {
	case c.writers <- struct{}{}:
		c.pending.Add(1)
		go func() {
			defer c.pending.Done()
			defer func() { <-c.writers }()
			put()
		}()
	default:
		put()
	}
}

// Dir returns the cache directory.
func (c *Cache) Dir() string { return c.dir }

// CacheScope identifies the model a cached response came from.
type CacheScope struct {
	Provider string `json:"provider"`
	Model    string `json:"model"`
	BaseURL  string `json:"base_url"`
}

// cacheIdentity is what a cache key hashes: the scope, every parameter that
// changes the answer, and the messages. Never the API key or headers.
type cacheIdentity struct {
	V           int        `json:"v"`
	Scope       CacheScope `json:"scope"`
	Messages    []Message  `json:"messages"`
	Temperature *float64   `json:"temperature"`
	TopP        *float64   `json:"top_p"`
	MaxTokens   int        `json:"max_tokens"`
	Seed        *int       `json:"seed"`
	Stop        []string   `json:"stop"`
	JSON        bool       `json:"json"`
}

// CacheKey returns the cache key of req for a model in scope: the hex
// SHA-256 of the scope, the sampling parameters and the messages.
// Request.ItemID and Request.Contexts are not part of it.
func CacheKey(scope CacheScope, req Request) string {
	scope.BaseURL = strings.TrimRight(scope.BaseURL, "/")
	b, err := json.Marshal(cacheIdentity{
		V: cacheVersion, Scope: scope, Messages: req.Messages,
		Temperature: req.Temperature, TopP: req.TopP, MaxTokens: req.MaxTokens,
		Seed: req.Seed, Stop: req.Stop, JSON: req.JSON,
	})
	if err != nil {
		// Only NaN or Inf parameters fail to marshal; they never reach a
		// provider either, so fall back to their printed form.
		b = fmt.Appendf(nil, "%v|%#v", scope, req)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// cacheEntry is the file format of one entry.
type cacheEntry struct {
	V        int           `json:"v"`
	Key      string        `json:"key"`
	Created  time.Time     `json:"created"`
	Text     string        `json:"text"`
	Model    string        `json:"model,omitempty"`
	Usage    dataset.Usage `json:"usage"`
	Provider string        `json:"provider,omitempty"`
}

func (c *Cache) path(key string) string {
	return filepath.Join(c.dir, key[:2], key+".json")
}

// Get returns the cached response for key. A missing, unreadable or
// corrupt entry is a miss.
func (c *Cache) Get(key string) (Response, bool) {
	if len(key) < 3 {
		return Response{}, false
	}
	b, err := os.ReadFile(c.path(key))
	if err != nil {
		return Response{}, false
	}
	var e cacheEntry
	if err := json.Unmarshal(b, &e); err != nil || e.V != cacheVersion || e.Key != key {
		return Response{}, false
	}
	return Response{Text: e.Text, Model: e.Model, Cached: true}, true
}

// Put stores r under key, atomically (temporary file, then rename).
func (c *Cache) Put(key string, scope CacheScope, r Response) error {
	if len(key) < 3 {
		return errors.New("cache: bad key")
	}
	dst := c.path(key)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	b, err := json.Marshal(cacheEntry{V: cacheVersion, Key: key, Created: time.Now().UTC(), Text: r.Text, Model: r.Model, Usage: r.Usage, Provider: scope.Provider})
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(dst), ".tmp-*")
	if err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(b)
	cerr := f.Close()
	if err := errors.Join(werr, cerr); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		_ = os.Remove(tmp)
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// Len counts the entries in the cache.
func (c *Cache) Len() (int, error) {
	n := 0
	err := filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".json") && !strings.HasPrefix(d.Name(), ".tmp-") {
			n++
		}
		return nil
	})
	return n, err
}

// WriteErrors returns how many entries could not be written, and the last
// such error. A failed write never fails the call it would have cached.
func (c *Cache) WriteErrors() (int, error) {
	var last error
	if p := c.lastErr.Load(); p != nil {
		last = *p
	}
	return int(c.writeErrs.Load()), last
}

// Middleware returns the caching middleware for a model in scope:
// successful responses are stored; a hit is returned with Cached set and
// zero usage, without calling the model.
func (c *Cache) Middleware(scope CacheScope) Middleware {
	return func(next Model) Model {
		return ModelFunc(func(ctx context.Context, req Request) (Response, error) {
			key := CacheKey(scope, req)
			if r, ok := c.Get(key); ok {
				return r, nil
			}
			resp, err := next.Generate(ctx, req)
			if err != nil {
				return resp, err
			}
			c.store(key, scope, resp)
			return resp, nil
		})
	}
}
