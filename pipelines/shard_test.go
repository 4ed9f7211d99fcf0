package pipelines

import (
	"strings"
	"testing"

	"github.com/synth-dev/synth/dataset"
)

func FuzzParseShard(f *testing.F) {
	for _, s := range []string{"0/4", " 3 / 4 ", "4/4", "-1/2", "1/0", "a/b", "1", "/", "0/9999999999999999999999"} {
		f.Add(s, 10)
	}
	f.Fuzz(func(t *testing.T, s string, n int) {
		sh, err := ParseShard(s)
		if err != nil {
			if !strings.Contains(err.Error(), "i/n") {
				t.Fatalf("error does not say what is expected: %v", err)
			}
			return
		}
		if sh.Count < 1 || sh.Index < 0 || sh.Index >= sh.Count {
			t.Fatalf("ParseShard(%q) = %+v", s, sh)
		}
		// The shards of a split partition the items: each item in exactly one.
		n = n % 64
		if n < 0 {
			n = -n
		}
		items := make([]int, n)
		for i := range items {
			items[i] = i
		}
		if sh.Count > 64 {
			return
		}
		seen := make([]int, n)
		for i := 0; i < sh.Count; i++ {
			for _, it := range ShardItems(items, &dataset.Shard{Index: i, Count: sh.Count}) {
				seen[it]++
			}
		}
		for i, c := range seen {
			if c != 1 {
				t.Fatalf("item %d is in %d of %d shards", i, c, sh.Count)
			}
		}
	})
}
