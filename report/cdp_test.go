//go:build linux

package report

// A tiny Chrome DevTools Protocol client for the browser test: it starts
// headless Chromium in its own process group, speaks CDP over one WebSocket
// (golang.org/x/net/websocket, already a dependency of the module) with
// flattened target sessions, records every event, and kills the whole
// process group when the test ends.

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/websocket"
)

// chromiumPath returns the Chromium binary, or "" when none is installed.
func chromiumPath() string {
	if p := os.Getenv("SYNTH_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	return ""
}

type cdpError struct {
	Code    int    `json:"code"`
	Message string `json:"message"`
}

type cdpMsg struct {
	ID        int             `json:"id,omitempty"`
	Method    string          `json:"method,omitempty"`
	Params    json.RawMessage `json:"params,omitempty"`
	Result    json.RawMessage `json:"result,omitempty"`
	Error     *cdpError       `json:"error,omitempty"`
	SessionID string          `json:"sessionId,omitempty"`
}

// browser is a running headless Chromium with one page attached.
type browser struct {
	t       *testing.T
	ws      *websocket.Conn
	session string

	mu      sync.Mutex
	nextID  int
	pending map[int]chan cdpMsg
	events  []cdpMsg
	notify  chan struct{}
	readErr error
	closed  chan struct{}
}

var devtoolsRE = regexp.MustCompile(`DevTools listening on (ws://\S+)`)

// startBrowser launches Chromium, attaches to a fresh page and enables the
// Page, Runtime and Log domains. Everything is torn down by t.Cleanup.
func startBrowser(ctx context.Context, t *testing.T, bin string) *browser {
	t.Helper()
	profile := t.TempDir()
	cmd := exec.Command(bin,
		"--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
		"--no-default-browser-check", "--disable-background-networking", "--disable-component-update",
		"--disable-sync", "--disable-extensions", "--disable-dev-shm-usage", "--disable-crash-reporter",
		"--hide-scrollbars", "--mute-audio", "--remote-allow-origins=http://127.0.0.1",
		"--user-data-dir="+profile, "--remote-debugging-address=127.0.0.1", "--remote-debugging-port=0",
		"about:blank")
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Env = append(os.Environ(), "HOME="+profile)
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", bin, err)
	}
	waited := make(chan struct{})
	t.Cleanup(func() {
		// Kill the whole group: Chromium forks zygote, renderer and
		// utility processes.
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			t.Errorf("chromium did not exit after SIGKILL")
		}
	})

	urlc := make(chan string, 1)
	var logMu sync.Mutex
	var logTail []string
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := sc.Text()
			if m := devtoolsRE.FindStringSubmatch(line); m != nil {
				select {
				case urlc <- m[1]:
				default:
				}
			}
			logMu.Lock()
			if len(logTail) < 40 {
				logTail = append(logTail, line)
			}
			logMu.Unlock()
		}
		_ = cmd.Wait()
		close(waited)
	}()
	var wsURL string
	select {
	case wsURL = <-urlc:
	case <-waited:
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("chromium exited before DevTools started:\n%s", strings.Join(logTail, "\n"))
	case <-ctx.Done():
		logMu.Lock()
		defer logMu.Unlock()
		t.Fatalf("chromium did not start DevTools in time:\n%s", strings.Join(logTail, "\n"))
	}

	cfg, err := websocket.NewConfig(wsURL, "http://127.0.0.1")
	if err != nil {
		t.Fatal(err)
	}
	ws, err := websocket.DialConfig(cfg)
	if err != nil {
		t.Fatalf("connect to DevTools at %s: %v", wsURL, err)
	}
	ws.MaxPayloadBytes = 64 << 20
	b := &browser{t: t, ws: ws, pending: map[int]chan cdpMsg{}, notify: make(chan struct{}), closed: make(chan struct{})}
	go b.readLoop()
	t.Cleanup(func() { ws.Close() })

	var target struct {
		TargetID string `json:"targetId"`
	}
	b.mustCall(ctx, "", "Target.createTarget", map[string]any{"url": "about:blank"}, &target)
	var attached struct {
		SessionID string `json:"sessionId"`
	}
	b.mustCall(ctx, "", "Target.attachToTarget", map[string]any{"targetId": target.TargetID, "flatten": true}, &attached)
	b.session = attached.SessionID
	for _, domain := range []string{"Page.enable", "Runtime.enable", "Log.enable"} {
		b.mustCall(ctx, b.session, domain, nil, nil)
	}
	return b
}

func (b *browser) readLoop() {
	defer close(b.closed)
	for {
		var data []byte
		if err := websocket.Message.Receive(b.ws, &data); err != nil {
			b.mu.Lock()
			b.readErr = err
			for id, ch := range b.pending {
				close(ch)
				delete(b.pending, id)
			}
			b.mu.Unlock()
			return
		}
		var m cdpMsg
		if err := json.Unmarshal(data, &m); err != nil {
			continue
		}
		if m.ID != 0 {
			b.mu.Lock()
			ch := b.pending[m.ID]
			delete(b.pending, m.ID)
			b.mu.Unlock()
			if ch != nil {
				ch <- m
			}
			continue
		}
		if m.Method == "Page.javascriptDialogOpening" {
			// A dialog blocks the page: dismiss it (the test fails on the
			// recorded event).
			go b.send(m.SessionID, "Page.handleJavaScriptDialog", map[string]any{"accept": false})
		}
		b.mu.Lock()
		b.events = append(b.events, m)
		close(b.notify)
		b.notify = make(chan struct{})
		b.mu.Unlock()
	}
}

// send writes one command and returns the channel its response arrives on.
func (b *browser) send(session, method string, params any) (chan cdpMsg, error) {
	b.mu.Lock()
	b.nextID++
	id := b.nextID
	ch := make(chan cdpMsg, 1)
	b.pending[id] = ch
	readErr := b.readErr
	b.mu.Unlock()
	if readErr != nil {
		return nil, readErr
	}
	raw, err := json.Marshal(params)
	if err != nil {
		return nil, err
	}
	if params == nil {
		raw = []byte("{}")
	}
	msg, _ := json.Marshal(cdpMsg{ID: id, Method: method, Params: raw, SessionID: session})
	if err := websocket.Message.Send(b.ws, string(msg)); err != nil {
		return nil, err
	}
	return ch, nil
}

// call sends a command and waits for its result.
func (b *browser) call(ctx context.Context, session, method string, params, result any) error {
	ch, err := b.send(session, method, params)
	if err != nil {
		return fmt.Errorf("%s: %w", method, err)
	}
	select {
	case m, ok := <-ch:
		if !ok {
			return fmt.Errorf("%s: connection closed", method)
		}
		if m.Error != nil {
			return fmt.Errorf("%s: %s (%d)", method, m.Error.Message, m.Error.Code)
		}
		if result != nil {
			return json.Unmarshal(m.Result, result)
		}
		return nil
	case <-ctx.Done():
		return fmt.Errorf("%s: %w", method, ctx.Err())
	}
}

func (b *browser) mustCall(ctx context.Context, session, method string, params, result any) {
	b.t.Helper()
	if err := b.call(ctx, session, method, params, result); err != nil {
		b.t.Fatal(err)
	}
}

// page runs a page-session command.
func (b *browser) page(ctx context.Context, method string, params, result any) {
	b.t.Helper()
	b.mustCall(ctx, b.session, method, params, result)
}

// mark returns the number of events so far, for waitEvent.
func (b *browser) mark() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.events)
}

// waitEvent waits for an event named method after the mark from.
func (b *browser) waitEvent(ctx context.Context, from int, method string) cdpMsg {
	b.t.Helper()
	for {
		b.mu.Lock()
		for _, e := range b.events[from:] {
			if e.Method == method {
				b.mu.Unlock()
				return e
			}
		}
		from = len(b.events)
		notify := b.notify
		b.mu.Unlock()
		select {
		case <-notify:
		case <-b.closed:
			b.t.Fatalf("DevTools connection closed while waiting for %s", method)
		case <-ctx.Done():
			b.t.Fatalf("waiting for %s: %v", method, ctx.Err())
		}
	}
}

// navigate loads url and waits for its load event (15 s at most).
func (b *browser) navigate(ctx context.Context, url string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	from := b.mark()
	var nav struct {
		ErrorText string `json:"errorText"`
	}
	b.page(ctx, "Page.navigate", map[string]any{"url": url}, &nav)
	if nav.ErrorText != "" {
		b.t.Fatalf("navigate to %s: %s", url, nav.ErrorText)
	}
	b.waitEvent(ctx, from, "Page.loadEventFired")
}

// eval evaluates a JavaScript expression in the page and decodes its value.
func (b *browser) eval(ctx context.Context, expr string, out any) {
	b.t.Helper()
	var r struct {
		Result struct {
			Type  string          `json:"type"`
			Value json.RawMessage `json:"value"`
		} `json:"result"`
		ExceptionDetails *struct {
			Text      string `json:"text"`
			Exception *struct {
				Description string `json:"description"`
			} `json:"exception"`
		} `json:"exceptionDetails"`
	}
	b.page(ctx, "Runtime.evaluate", map[string]any{"expression": expr, "returnByValue": true, "awaitPromise": true}, &r)
	if r.ExceptionDetails != nil {
		msg := r.ExceptionDetails.Text
		if r.ExceptionDetails.Exception != nil {
			msg += " " + r.ExceptionDetails.Exception.Description
		}
		b.t.Fatalf("evaluate %q: %s", expr, msg)
	}
	if out != nil {
		if err := json.Unmarshal(r.Result.Value, out); err != nil {
			b.t.Fatalf("evaluate %q: decode %s (%s): %v", expr, r.Result.Value, r.Result.Type, err)
		}
	}
}

// click presses and releases the left mouse button on the centre of the
// element that selector finds, as a person would.
func (b *browser) click(ctx context.Context, selector string) {
	b.t.Helper()
	sel, _ := json.Marshal(selector)
	var pt struct{ X, Y float64 }
	b.eval(ctx, fmt.Sprintf(`(() => { const e = document.querySelector(%s); if (!e) return null;
		e.scrollIntoView({block: "center"}); const r = e.getBoundingClientRect();
		return {X: r.left + r.width / 2, Y: r.top + r.height / 2}; })()`, sel), &pt)
	if pt.X == 0 && pt.Y == 0 {
		b.t.Fatalf("click: no element %s", selector)
	}
	for _, typ := range []string{"mousePressed", "mouseReleased"} {
		b.page(ctx, "Input.dispatchMouseEvent", map[string]any{"type": typ, "x": pt.X, "y": pt.Y, "button": "left", "clickCount": 1}, nil)
	}
}

// typeText inserts text at the focus, as typing would.
func (b *browser) typeText(ctx context.Context, text string) {
	b.t.Helper()
	b.page(ctx, "Input.insertText", map[string]any{"text": text}, nil)
}

// screenshot saves a PNG of the page (the whole page when full is set).
func (b *browser) screenshot(ctx context.Context, path string, full bool) {
	b.t.Helper()
	params := map[string]any{"format": "png"}
	if full {
		var size struct{ W, H float64 }
		b.eval(ctx, `({W: document.documentElement.scrollWidth, H: document.documentElement.scrollHeight})`, &size)
		params["captureBeyondViewport"] = true
		params["clip"] = map[string]any{"x": 0, "y": 0, "width": size.W, "height": size.H, "scale": 1}
	}
	var shot struct {
		Data string `json:"data"`
	}
	b.page(ctx, "Page.captureScreenshot", params, &shot)
	png, err := base64.StdEncoding.DecodeString(shot.Data)
	if err != nil {
		b.t.Fatal(err)
	}
	if err := os.WriteFile(path, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
}

// problems returns what the page reported that a clean page never does:
// uncaught exceptions, console errors, error log entries and dialogs.
func (b *browser) problems() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []string
	for _, e := range b.events {
		switch e.Method {
		case "Runtime.exceptionThrown", "Page.javascriptDialogOpening":
			out = append(out, e.Method+": "+string(e.Params))
		case "Runtime.consoleAPICalled":
			var p struct {
				Type string `json:"type"`
			}
			_ = json.Unmarshal(e.Params, &p)
			if p.Type == "error" || p.Type == "assert" {
				out = append(out, e.Method+": "+string(e.Params))
			}
		case "Log.entryAdded":
			var p struct {
				Entry struct {
					Level string `json:"level"`
				} `json:"entry"`
			}
			_ = json.Unmarshal(e.Params, &p)
			if p.Entry.Level == "error" {
				out = append(out, e.Method+": "+string(e.Params))
			}
		}
	}
	return out
}
