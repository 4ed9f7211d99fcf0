package llmtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
)

// upload posts data as a multipart file with purpose and returns the status and body.
func upload(t *testing.T, srv *Server, purpose, data string) (int, map[string]any) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if purpose != "" {
		_ = mw.WriteField("purpose", purpose)
	}
	fw, _ := mw.CreateFormFile("file", "train.jsonl")
	_, _ = fw.Write([]byte(data))
	_ = mw.Close()
	resp, err := srv.Client().Post(srv.URL()+"/files", mw.FormDataContentType(), &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&body)
	return resp.StatusCode, body
}

func call(t *testing.T, srv *Server, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL()+path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

const example = `{"messages":[{"role":"user","content":"Q"},{"role":"assistant","content":"A"}]}` + "\n"

func TestFineTuneUploadValidation(t *testing.T) {
	srv := NewServer(t)
	NewFineTune(srv.Handler)
	cases := []struct {
		name, purpose, data string
		status              int
		want                string
	}{
		{"ok", "fine-tune", example + "\n" + example, 200, ""},
		{"batch purpose skips chat checks", "batch", "not jsonl", 200, ""},
		{"no purpose", "", example, 400, "purpose"},
		{"unknown purpose", "finetune", example, 400, "purpose"},
		{"bad line", "fine-tune", example + "{bad\n", 400, "Line 2 is not valid JSON"},
		{"unknown role", "fine-tune", `{"messages":[{"role":"bot","content":"A"}]}`, 400, `unknown role "bot"`},
		{"empty file", "fine-tune", "\n", 400, "no examples"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st, body := upload(t, srv, tc.purpose, tc.data)
			if st != tc.status || !strings.Contains(fmt.Sprint(body), tc.want) {
				t.Errorf("HTTP %d %v, want %d with %q", st, body, tc.status, tc.want)
			}
			if st == 200 && (body["object"] != "file" || body["status"] != "processed") {
				t.Errorf("file object %v", body)
			}
		})
	}
}

func TestFineTuneJobsAndEvents(t *testing.T) {
	srv := NewServer(t)
	ft := NewFineTune(srv.Handler)
	_, f := upload(t, srv, "fine-tune", example)
	_, b := upload(t, srv, "batch", "x")
	for _, bad := range []struct{ body, want string }{
		{`{"training_file": "` + f["id"].(string) + `"}`, "model"},
		{`{"model": "m"}`, "training_file"},
		{`{"model": "m", "training_file": "` + b["id"].(string) + `"}`, "not 'fine-tune'"},
		{`{"model": "m", "training_file": "` + f["id"].(string) + `", "suffix": ""}`, "suffix"},
		{`{"model": "m", "training_file": "` + f["id"].(string) + `", "method": {"type": "supervised", "supervised": {"hyperparameters": {"n_epochs": 0}}}}`, "n_epochs"},
	} {
		if st, body := call(t, srv, "POST", "/fine_tuning/jobs", bad.body); st != 400 || !strings.Contains(fmt.Sprint(body), bad.want) {
			t.Errorf("%s: HTTP %d %v", bad.body, st, body)
		}
	}
	st, job := call(t, srv, "POST", "/fine_tuning/jobs", `{"model": "m", "training_file": "`+f["id"].(string)+`", "hyperparameters": {"n_epochs": 2}}`)
	if st != 200 || job["status"] != StatusValidatingFiles {
		t.Fatalf("HTTP %d %v", st, job)
	}
	id := job["id"].(string)
	for range 6 {
		call(t, srv, "GET", "/fine_tuning/jobs/"+id, "")
	}
	if s, _ := ft.Status(id); s != StatusSucceeded || ft.Polls(id) != 6 {
		t.Fatalf("status %s after %d polls", s, ft.Polls(id))
	}
	// Events page from newest to oldest; after names the last event seen.
	_, page := call(t, srv, "GET", "/fine_tuning/jobs/"+id+"/events?limit=2", "")
	data := page["data"].([]any)
	if len(data) != 2 || page["has_more"] != true || !strings.Contains(fmt.Sprint(data[0]), "successfully completed") {
		t.Fatalf("first page %v", page)
	}
	last := data[1].(map[string]any)["id"].(string)
	_, page = call(t, srv, "GET", "/fine_tuning/jobs/"+id+"/events?limit=100&after="+last, "")
	rest := page["data"].([]any)
	if len(rest) == 0 || page["has_more"] != false || !strings.Contains(fmt.Sprint(rest[len(rest)-1]), "Validating training file") {
		t.Errorf("second page %v", page)
	}
	if st, _ := call(t, srv, "GET", "/fine_tuning/jobs/ftjob-none", ""); st != 404 {
		t.Errorf("unknown job: HTTP %d", st)
	}
	if st, _ := call(t, srv, "GET", "/fine_tuning/jobs/"+id+"/events?limit=0", ""); st != 400 {
		t.Errorf("limit 0: HTTP %d", st)
	}
}
