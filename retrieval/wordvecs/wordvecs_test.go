package wordvecs

import (
	"bytes"
	"compress/gzip"
	"math"
	"testing"
)

func TestDefault(t *testing.T) {
	tab, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	if tab.Len() != 50000 || tab.Dim() != 100 {
		t.Fatalf("%d words, %d dimensions", tab.Len(), tab.Dim())
	}
	the, ok := tab.Lookup([]byte("the"))
	if !ok || the != 0 {
		t.Errorf("the: %d %v", the, ok)
	}
	pw, ok := tab.Lookup([]byte("password"))
	if !ok {
		t.Fatal("password missing")
	}
	if !(tab.Prob(the) > tab.Prob(pw) && tab.Prob(pw) > tab.MinProb()) {
		t.Errorf("probabilities not decreasing with rank: %g %g %g", tab.Prob(the), tab.Prob(pw), tab.MinProb())
	}
	if _, ok := tab.Lookup([]byte("Password")); ok {
		t.Error("lookups are lowercase")
	}
	v := make([]float32, tab.Dim())
	tab.AddUnitTo(v, pw, 2)
	var n float64
	for _, x := range v {
		n += float64(x) * float64(x)
	}
	if math.Abs(math.Sqrt(n)-2) > 1e-4 {
		t.Errorf("AddUnitTo with weight 2 gave length %v", math.Sqrt(n))
	}
	if tab.Norm(pw) <= 0 {
		t.Error("zero norm")
	}
}

func TestReadErrors(t *testing.T) {
	gz := func(b []byte) []byte {
		var buf bytes.Buffer
		w := gzip.NewWriter(&buf)
		w.Write(b)
		w.Close()
		return buf.Bytes()
	}
	for name, data := range map[string][]byte{
		"not gzip":  []byte("plain"),
		"bad magic": gz([]byte("NOTWV1\n")),
		"no header": gz([]byte(magic)),
		"bad counts": gz(append([]byte(magic),
			0, 0, 0, 0, // 0 words
			100, 0, 0, 0, 0, 0)),
		"truncated": gz(append([]byte(magic), 2, 0, 0, 0, 4, 0, 9, 0, 0, 0, 1, 'a')),
	} {
		if _, err := Read(bytes.NewReader(data)); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func BenchmarkRead(b *testing.B) {
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := Read(bytes.NewReader(defaultTable)); err != nil {
			b.Fatal(err)
		}
	}
}
