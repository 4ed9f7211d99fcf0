package validators

import (
	"fmt"
	"strings"
	"testing"
)

func linkStr(ls []Link) string {
	var parts []string
	for _, l := range ls {
		parts = append(parts, fmt.Sprintf("%s %q=%s", l.Kind, l.Text, l.Norm))
	}
	return strings.Join(parts, "; ")
}

func TestExtractLinks(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Reset it at https://example.com/account/reset.", `link "https://example.com/account/reset"=example.com/account/reset`},
		{"See www.Example.com/Help/ for more", `link "www.Example.com/Help/"=example.com/help`},
		{"Visit example.com, or help.example.io!", `domain "example.com"=example.com; domain "help.example.io"=help.example.io`},
		{"([docs](https://docs.example.com/a_(b)))", `link "https://docs.example.com/a_(b)"=docs.example.com/a_(b)`},
		{"Email Support@Example.com.", `e-mail "Support@Example.com"=support@example.com`},
		{"Call +1 (800) 555-0199 or 800-555-0199 or 800.555.0199.", `phone number "+1 (800) 555-0199"=18005550199; phone number "800-555-0199"=8005550199; phone number "800.555.0199"=8005550199`},
		{"Call 1 800 555 0199 or +44 20 7946 0958", `phone number "1 800 555 0199"=18005550199; phone number "+44 20 7946 0958"=442079460958`},
		{"On 2024-03-03 we had 10.0.0.1 and 3.14159 and 1,000,000 users", ``},
		{"Scores 2020 2021 2022 and 5 10 15 20", ``},
		{"Go to Settings > Account > Delete Account.", `menu path "Settings > Account > Delete Account"=settings > account > delete account`},
		{"Open **Settings** → **Privacy** then tap Clear.", `menu path "**Settings** → **Privacy**"=settings > privacy`},
		{"Go to Account Settings > Billing and click Cancel.", `menu path "Account Settings > Billing"=account settings > billing`},
		{"If the amount > 100, stop. Also a > b.", ``},
		{"Use README.md and main.py", ``},
		{"Tap Settings › Security › Two-factor authentication, then enter the code.", `menu path "Settings › Security › Two-factor authentication"=settings > security > two-factor authentication`},
		{"Version 1.2.3", ``},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := linkStr(ExtractLinks(tt.in)); got != tt.want {
				t.Errorf("ExtractLinks(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func FuzzExtractLinks(f *testing.F) {
	for _, s := range []string{"https://example.com/a.", "Settings > Account > Delete", "a@b.co", "+1 (800) 555-0199", "**A** → **B**", "x.com/(", ">>>", "→", "(1) 2-3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, l := range ExtractLinks(s) {
			if l.Start < 0 || l.End > len(s) || l.Start > l.End || s[l.Start:l.End] != l.Text {
				t.Fatalf("bad span %d:%d %q in %q", l.Start, l.End, l.Text, s)
			}
			if l.Norm == "" {
				t.Fatalf("empty norm for %+v in %q", l, s)
			}
			// extracting from the link's own text finds it again, normalised the same
			again := ExtractLinks(l.Text)
			found := false
			for _, a := range again {
				if a.Kind == l.Kind && a.Norm == l.Norm {
					found = true
				}
			}
			if !found && l.Kind != LinkPath && l.Kind != LinkPhone {
				t.Fatalf("%q: %+v not found again in its text (%s)", s, l, linkStr(again))
			}
		}
	})
}

// TestExtractLinksLinear guards against quadratic scans on long inputs.
func TestExtractLinksLinear(t *testing.T) {
	long := strings.Repeat("1 ", 200000) + strings.Repeat("a.", 100000) + strings.Repeat("A > ", 50000)
	if n := len(ExtractLinks(long)); n > 100000 {
		t.Fatalf("%d links", n)
	}
}
