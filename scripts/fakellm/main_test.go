package main

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestHandler(t *testing.T) {
	srv := httptest.NewServer(newHandler(0, "the answer", "E"))
	defer srv.Close()

	chat := func(content string) string {
		t.Helper()
		body := `{"model": "llmtest", "messages": [{"role": "user", "content": ` + mustJSON(t, content) + `}]}`
		resp, err := http.Post(srv.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var out struct {
			Choices []struct {
				Message struct{ Content string } `json:"message"`
			} `json:"choices"`
		}
		if resp.StatusCode != 200 {
			t.Fatalf("status %d", resp.StatusCode)
		}
		if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || len(out.Choices) != 1 {
			t.Fatalf("decode: %v, %+v", err, out)
		}
		return out.Choices[0].Message.Content
	}

	tests := []struct {
		name, prompt, want string
	}{
		{"question gets the answer", "How do I reset my password?", "the answer"},
		{"judge prompt gets the choice", "[Question]: q\n[Submission]: a", `{"choice":"E","reasoning":"The submission has the same details as the expert answer."}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := chat(tt.prompt); got != tt.want {
				t.Errorf("reply %q, want %q", got, tt.want)
			}
		})
	}

	resp, err := http.Get(srv.URL + "/_stats")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var st Stats
	if err := json.NewDecoder(resp.Body).Decode(&st); err != nil {
		t.Fatal(err)
	}
	if st.Requests != len(tests) || st.MaxInFlight != 1 || st.InFlight != 0 {
		t.Errorf("stats %+v, want %d requests, 1 at most in flight, none now", st, len(tests))
	}
}

func TestRunBadFlags(t *testing.T) {
	if err := run([]string{"-latency", "soon"}); err == nil {
		t.Error("a bad -latency: no error")
	}
}

func mustJSON(t *testing.T, s string) string {
	t.Helper()
	b, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
