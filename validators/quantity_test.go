package validators

import (
	"fmt"
	"strings"
	"testing"
)

func qstr(qs []Quantity) string {
	var parts []string
	for _, q := range qs {
		if q.Implied {
			continue
		}
		s := fmt.Sprintf("%s=%g", q.Dim, q.Value)
		if q.Tol != 0 {
			s += fmt.Sprintf("±%g", q.Tol)
		}
		parts = append(parts, s+" "+fmt.Sprintf("%q", q.Text))
	}
	return strings.Join(parts, "; ")
}

func TestExtractQuantities(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Refunds take 24 hours.", `duration=86400 "24 hours"`},
		{"within 1 day", `duration=86400 "1 day"`},
		{"5 business days", `duration=432000 "5 business days"`},
		{"It costs $10/month or 100 USD per year.", `money:USD/month=10 "$10/month"; money:USD/year=100 "100 USD per year"`},
		{"€5 and 3 euros", `money:EUR=5 "€5"; money:EUR=3 "3 euros"`},
		{"10GB, 10 GB, 1.5 TB", `size=1e+10 "10GB"; size=1e+10 "10 GB"; size=1.5e+12±5e+10 "1.5 TB"`},
		{"up to 5 devices", `count:device=5 "5 devices"`},
		{"thirty days", `duration=2.592e+06 "thirty days"`},
		{"twenty-four hours", `duration=86400 "twenty-four hours"`},
		{"two factor", `count:factor=2 "two factor"`},
		{"one of them", ``},
		{"one device", `count:device=1 "one device"`},
		{"20% off or 15 percent", `percent=20 "20%"; percent=15 "15 percent"`},
		{"2.45 billion years ago", `duration=7.73145324e+16±1.5778476e+14 "2.45 billion years"`},
		{"around 2,000 users", `count:user=2000±500 "2,000 users"`},
		{"March 18, 1995", `date=9207 "March 18, 1995"`},
		{"March 1995", `date=9205±15 "March 1995"`},
		{"18 January 1788", `date=-66457 "18 January 1788"`},
		{"2024-03-03", `date=19785 "2024-03-03"`},
		{"on March 3", `monthday=303 "March 3"`},
		{"in 1757.", `year=1757 "1757"`},
		{"open 9am to 5 p.m.", `time=540 "9am"; time=1020 "5 p.m."`},
		{"at 17:30", `time=1050 "17:30"`},
		{"version 1.2.3 and 10.0.0.1", ``},
		{"may I help", ``},
		{"the 3rd step", `ordinal=3 "3rd"`},
		{"first, open Settings", ``},
		{"a dozen eggs", `count:egg=12 "a dozen eggs"`},
		{"2,5 liters", `count:liter=2.5±0.05 "2,5 liters"`},
		{"10k users", `count:user=10000 "10k users"`},
		{"216", `number=216 "216"`},
		{"USD 1,299.99 or EUR 5", `money:USD=1299.99±0.005 "USD 1,299.99"; money:EUR=5 "EUR 5"`},
		{"20 per cent", `percent=20 "20 per cent"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := qstr(ExtractQuantities(tt.in)); got != tt.want {
				t.Errorf("ExtractQuantities(%q)\n got %s\nwant %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestQuantityAgrees(t *testing.T) {
	tests := []struct {
		a, b string
		want bool
	}{
		{"24 hours", "1 day", true},
		{"48 hours", "2 days", true},
		{"7 days", "1 week", true},
		{"30 days", "1 month", true},
		{"12 months", "1 year", true},
		{"14 days", "30 days", false},
		{"1 day", "2 days", false},
		{"$10", "10 USD", true},
		{"$10", "10 EUR", false},
		{"$10", "$12", false},
		{"10GB", "10 GB", true},
		{"1 GB", "1024 MB", true},
		{"1 GB", "2 GB", false},
		{"2.4 billion years", "2.45 billion years", true},
		{"2.4 billion years", "541 million years", false},
		{"around 2,000 users", "2,150 users", true},
		{"2,000 users", "2,150 users", false},
		{"5 devices", "3 devices", false},
		{"20%", "20 percent", true},
		{"19%", "20%", false},
		{"March 18, 1995", "March 1995", true},
		{"April 18, 1995", "March 1995", false},
		{"9am", "09:00", true},
		{"5pm", "17:00", true},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			qa, qb := ExtractQuantities(tt.a), ExtractQuantities(tt.b)
			if len(qa) == 0 || len(qb) == 0 {
				t.Fatalf("no quantity: %s | %s", qstr(qa), qstr(qb))
			}
			if got := qa[0].Agrees(qb[0]); got != tt.want {
				t.Errorf("Agrees = %v, want %v (%s vs %s)", got, tt.want, qstr(qa), qstr(qb))
			}
			if got := qb[0].Agrees(qa[0]); got != tt.want {
				t.Errorf("Agrees is not symmetric")
			}
		})
	}
}

func FuzzExtractQuantities(f *testing.F) {
	for _, s := range []string{"24 hours", "$10/month", "March 18, 1995", "2024-03-03", "9 a.m.", "1,000.5", "twenty-four", "a dozen", "17:30 pm", "3rd", "1.2.3", "€", "$", "10k"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, q := range ExtractQuantities(s) {
			if q.Start < 0 || q.End > len(s) || q.Start > q.End || s[q.Start:q.End] != q.Text {
				t.Fatalf("bad span %d:%d %q in %q", q.Start, q.End, q.Text, s)
			}
			if q.Value != q.Value || q.Tol < 0 || q.Tol != q.Tol {
				t.Fatalf("bad value %v±%v in %q", q.Value, q.Tol, s)
			}
			if !q.Agrees(q) {
				t.Fatalf("quantity disagrees with itself: %+v", q)
			}
		}
	})
}
