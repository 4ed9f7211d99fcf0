package validators

import (
	"context"
	"fmt"
	"hash/maphash"
	"slices"
	"strings"
	"sync"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/retrieval"
	"github.com/synth-dev/synth/spec"
)

var linksSpec = spec.Spec{
	Name:    "links",
	Summary: "Every URL, domain, e-mail, phone number and menu path in the answer must exist in the help docs or the gold answer.",
	Description: `Finds the references an answer gives — URLs (https://example.com/reset), bare domains
(example.com), e-mail addresses, phone numbers and UI menu paths ("Settings > Account >
Delete account", "Settings → Privacy", "**Billing** › **Invoices**") — and looks each one
up in the help docs (every chunk of the knowledge base, plus the chunks retrieved for the
item) and in the gold answers. Anything not found is invented: the label is hallucinated
and the reason names it.

Matching forgives form, not substance: URLs and domains ignore case, scheme, "www.",
trailing slashes and trailing punctuation; a URL may be a parent of a documented one
(example.com/help for example.com/help/reset) but not a new page on a known site; a bare
domain may be a parent of a documented host; phone numbers compare by digits (a country
code may be added); a menu path must appear as consecutive steps of a documented path, or
its steps must all appear, in order, in one chunk of the docs (prose such as "open
Settings, choose Account, then Delete account").

With nothing in the answer to check, or nothing to check against (no docs, contexts or
gold answers), it has no opinion (empty label, pass).

Catches: "Reset it at https://example.com/reset-password" when the docs only know
https://example.com/account/reset -> hallucinated; "Go to Settings > Billing > Refunds"
when the docs say "Settings > Billing > Invoices" -> hallucinated.`,
	Needs: []string{"docs"},
	Params: []spec.Param{
		{Name: "kinds", Type: "[]string", Default: "[link, domain, e-mail, phone, path]",
			Description: "which references to check: link, domain, e-mail, phone, path"},
	},
	Example: "{type: links}",
}

func linksEntry() Entry { return Entry{Spec: linksSpec, Role: Check, New: newLinks} }

var linkKindNames = map[string]LinkKind{
	"link": LinkURL, "url": LinkURL, "domain": LinkDomain, "e-mail": LinkEmail, "email": LinkEmail,
	"phone": LinkPhone, "path": LinkPath, "menu": LinkPath,
}

func newLinks(p *spec.Params, deps Deps) (Validator, error) {
	v := &linksValidator{kinds: map[LinkKind]bool{}}
	if p.Optional("kinds") {
		for i, k := range p.Strings("kinds", nil) {
			kind, ok := linkKindNames[strings.ToLower(k)]
			if !ok {
				p.Fail(spec.Index("kinds", i), "unknown kind %q (want link, domain, e-mail, phone or path)", k)
				continue
			}
			v.kinds[kind] = true
		}
	} else {
		for _, k := range []LinkKind{LinkURL, LinkDomain, LinkEmail, LinkPhone, LinkPath} {
			v.kinds[k] = true
		}
	}
	if err := p.Err(); err != nil {
		return nil, err
	}
	v.corpus = deps.Corpus
	return v, nil
}

type linksValidator struct {
	kinds  map[LinkKind]bool
	corpus retrieval.Corpus

	once sync.Once
	docs *linkIndex // the whole corpus, built on first use

	chunks sync.Map // hash of a context chunk's text -> *linkIndex
}

// chunkIndex returns the index of one retrieved chunk, cached by content:
// the same chunks come back for many items.
func (v *linksValidator) chunkIndex(c dataset.Chunk) *linkIndex {
	key := maphash.String(hashSeed, c.Text)
	if ix, ok := v.chunks.Load(key); ok {
		return ix.(*linkIndex)
	}
	ix := newLinkIndex()
	ix.add(c.ID, c.Text, nil)
	v.chunks.Store(key, ix)
	return ix
}

func (*linksValidator) Name() string { return linksSpec.Name }

// linkIndex holds the references found in some texts, each with the id of
// the first text (chunk) it was found in.
type linkIndex struct {
	urls   map[string]string
	hosts  map[string]string
	emails map[string]string
	phones []string
	paths  [][]string
	texts  []string // normalised texts, for menu paths written as prose
	// ids of the texts that phones, paths and texts came from, in step
	phoneIDs, pathIDs, textIDs []string
}

func newLinkIndex() *linkIndex {
	return &linkIndex{urls: map[string]string{}, hosts: map[string]string{}, emails: map[string]string{}}
}

func setOnce(m map[string]string, k, id string) {
	if _, ok := m[k]; !ok {
		m[k] = id
	}
}

// add indexes the references in text, found in the source id.
func (ix *linkIndex) add(id, text string, buf []Link) []Link {
	buf = extractLinks(text, buf)
	for _, l := range buf {
		switch l.Kind {
		case LinkURL, LinkDomain:
			setOnce(ix.urls, l.Norm, id)
			setOnce(ix.hosts, urlHost(l.Norm), id)
		case LinkEmail:
			setOnce(ix.emails, l.Norm, id)
			setOnce(ix.hosts, l.Norm[strings.IndexByte(l.Norm, '@')+1:], id)
		case LinkPhone:
			ix.phones = append(ix.phones, l.Norm)
			ix.phoneIDs = append(ix.phoneIDs, id)
		case LinkPath:
			ix.paths = append(ix.paths, l.Segments)
			ix.pathIDs = append(ix.pathIDs, id)
		}
	}
	ix.texts = append(ix.texts, proseNorm(text))
	ix.textIDs = append(ix.textIDs, id)
	return buf
}

// proseNorm lower-cases text and strips markup, for finding path steps in prose.
func proseNorm(s string) string {
	return " " + normSegment(strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return ' '
		}
		return r
	}, s)) + " "
}

// find reports whether l is in the index and the id of a text it is in.
func (ix *linkIndex) find(l Link) (string, bool) {
	switch l.Kind {
	case LinkURL:
		if id, ok := ix.urls[l.Norm]; ok {
			return id, true
		}
		// a parent of a documented page: example.com/help for example.com/help/reset
		best, found := "", false // the smallest id, so that evidence is deterministic
		for u, id := range ix.urls {
			if strings.HasPrefix(u, l.Norm) && len(u) > len(l.Norm) && strings.ContainsRune("/?#", rune(u[len(l.Norm)])) && (!found || id < best) {
				best, found = id, true
			}
		}
		if found {
			return best, true
		}
		// a bare host written with a scheme: https://example.com
		if urlHost(l.Norm) == l.Norm {
			return ix.findHost(l.Norm)
		}
	case LinkDomain:
		return ix.findHost(urlHost(l.Norm))
	case LinkEmail:
		id, ok := ix.emails[l.Norm]
		return id, ok
	case LinkPhone:
		for i, p := range ix.phones {
			if samePhone(p, l.Norm) {
				return ix.phoneIDs[i], true
			}
		}
	case LinkPath:
		for i, p := range ix.paths {
			if containsSegments(p, l.Segments) {
				return ix.pathIDs[i], true
			}
		}
		for i, t := range ix.texts {
			if stepsInOrder(t, l.Segments) {
				return ix.textIDs[i], true
			}
		}
	}
	return "", false
}

// findHost reports whether host, or a subdomain of it, is documented.
func (ix *linkIndex) findHost(host string) (string, bool) {
	if id, ok := ix.hosts[host]; ok {
		return id, true
	}
	best, found := "", false
	for h, id := range ix.hosts {
		if strings.HasSuffix(h, "."+host) && (!found || id < best) {
			best, found = id, true
		}
	}
	return best, found
}

// samePhone compares digit strings, allowing a country code on one side.
func samePhone(a, b string) bool {
	if a == b {
		return true
	}
	if len(a) < len(b) {
		a, b = b, a
	}
	return len(b) >= 7 && len(a)-len(b) <= 3 && strings.HasSuffix(a, b)
}

// containsSegments reports whether want occurs as consecutive segments of path.
func containsSegments(path, want []string) bool {
	for i := 0; i+len(want) <= len(path); i++ {
		ok := true
		for j := range want {
			if path[i+j] != want[j] {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// stepsInOrder reports whether every segment occurs in text as whole words,
// in order.
func stepsInOrder(text string, segs []string) bool {
	off := 0
	for _, s := range segs {
		i := strings.Index(text[off:], " "+s+" ")
		if i < 0 {
			// allow punctuation right after the step ("Account,")
			found := false
			for _, end := range []string{",", ".", ":", ";", ")"} {
				if k := strings.Index(text[off:], " "+s+end); k >= 0 {
					i, found = k, true
					break
				}
			}
			if !found {
				return false
			}
		}
		off += i + len(s) + 1
	}
	return true
}

func (v *linksValidator) corpusIndex() *linkIndex {
	v.once.Do(func() {
		if v.corpus == nil {
			return
		}
		ix := newLinkIndex()
		var buf []Link
		for _, c := range v.corpus.Chunks() {
			buf = ix.add(c.ID, c.Text, buf)
		}
		v.docs = ix
	})
	return v.docs
}

// find looks l up in the docs, the retrieved contexts and the gold answers,
// and returns where it was found: a chunk id, or "gold".
func (v *linksValidator) find(docs, gold *linkIndex, cs []dataset.Chunk, l Link) (string, bool) {
	if docs != nil {
		if id, ok := docs.find(l); ok {
			return id, true
		}
	}
	for _, c := range cs {
		if id, ok := v.chunkIndex(c).find(l); ok {
			return id, true
		}
	}
	return gold.find(l)
}

func (v *linksValidator) Validate(_ context.Context, s *dataset.Sample) (dataset.Verdict, error) {
	name := linksSpec.Name
	var found []Link
	for _, l := range ExtractLinks(s.Answer) {
		if v.kinds[l.Kind] {
			found = append(found, l)
		}
	}
	if len(found) == 0 {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "no links, e-mail addresses, phone numbers or menu paths"}, nil
	}
	docs := v.corpusIndex()
	if docs == nil && len(s.Contexts) == 0 && len(s.References) == 0 {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Reason: "no help docs or gold answer to check against: no opinion"}, nil
	}
	gold := newLinkIndex()
	var buf []Link
	for _, g := range s.References {
		buf = gold.add("gold", g, buf)
	}
	var invented, evidence []string
	for _, l := range found {
		if id, ok := v.find(docs, gold, s.Contexts, l); ok {
			if id != "" && !slices.Contains(evidence, id) {
				evidence = append(evidence, id)
			}
			continue
		}
		invented = append(invented, fmt.Sprintf("%s %q", l.Kind, l.Text))
	}
	if len(invented) == 0 {
		return dataset.Verdict{Validator: name, Score: 1, Pass: true, Evidence: evidence,
			Reason: fmt.Sprintf("%d reference(s) checked, all in the help docs or gold answer", len(found))}, nil
	}
	score := float64(len(found)-len(invented)) / float64(len(found))
	return dataset.Verdict{Validator: name, Score: score, Pass: false, Label: dataset.Hallucinated, Evidence: evidence,
		Reason: "not in the help docs or gold answer: " + strings.Join(invented, ", ")}, nil
}
