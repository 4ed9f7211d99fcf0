package importers

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// A slot is one proposed eval.validators entry, shared by every assertion
// that maps onto it. Validators in synth apply to every item and read the
// item's gold answers; promptfoo assertions carry their own values. So:
//
//   - answer assertions (equals, contains, similar, factuality, rouge-n, ...)
//     give the item its gold answers, and their kind becomes a validator;
//   - pattern assertions (regex, starts-with, not-contains, ...) carry a
//     pattern that is the same for every item only when it comes from
//     defaultTest (or every test repeats it): then it becomes one validator
//     (a check, so that failing it makes the item wrong). A pattern that
//     differs between tests has no counterpart and is listed.
type slot struct {
	key  string
	kind string
	// global slots (patterns) are kept only when every item has them.
	global bool
	// variants counts each parameter set proposed for the slot; the most
	// common one wins (first seen on a tie).
	variants []*variant
	from     map[string]int
	items    map[int]bool
	order    int
}

type variant struct {
	fields []Field
	sig    string
	count  int
}

// occurrence is one pattern assertion on one item, kept until we know
// whether its slot covers every item.
type occurrence struct {
	slot  *slot
	typ   string
	value any
	where string
}

// mapping is what one assertion contributes.
type mapping struct {
	kind    string  // synth validator kind; "" for none
	key     string  // slot key
	fields  []Field // parameters (without type)
	global  bool
	golds   []string
	rubric  string
	approx  string // note when the counterpart is not exact
	problem string // unsupported: why
	info    string
}

// mapAssertions maps a test's assertions onto the item's gold answers, its
// meta and the validator slots.
func (p *pfImport) mapAssertions(d *itemDraft, t pfTest, r renderer) {
	if !t.options.isNull() {
		if g := t.options.get("provider"); !g.isNull() {
			p.addGrader(g)
		}
	}
	answerAsserts := 0
	var rubrics []string
	for _, a := range t.asserts {
		where := a.where()
		if a.kind != kindMap {
			p.notes.add(Unsupported, "assertion", "an assertion must be a mapping with a type: ignored", where)
			continue
		}
		typ := strings.TrimSpace(a.get("type").str())
		if typ == "" {
			p.notes.add(Unsupported, "assertion without a type", "ignored", where)
			continue
		}
		if g := a.get("provider"); !g.isNull() {
			p.addGrader(g)
		}
		for _, k := range a.keys {
			switch k {
			case "transform":
				p.notes.add(Unsupported, "assertion transform", "output transforms are code: synth grades the model's raw answer", where)
			case "weight":
				if w := a.get("weight").str(); w != "1" && w != "1.0" {
					p.notes.add(Approximated, "assertion weight", "synth's label policy does not weigh validators: every validator counts the same", where)
				}
			case "rubricPrompt":
				p.notes.add(Unsupported, "rubricPrompt", "synth's judge uses its own grading prompt", where)
			}
		}
		value, vproblem := p.assertValue(a.get("value"), t, r, where)
		m := p.mapAssertion(typ, a, value, vproblem)
		unmapped := func() {
			entry := map[string]any{"type": typ}
			if value != nil {
				entry["value"] = value
			}
			addMeta(d, "unmapped_asserts", entry)
		}
		switch {
		case m.problem != "":
			p.notes.add(Unsupported, "assertion "+typ, m.problem, where)
			unmapped()
			if len(m.golds) > 0 {
				d.item.Answers = appendUnique(d.item.Answers, m.golds...)
				p.notes.add(Info, "assertion "+typ+" value", "kept as the item's gold answer, so the answer validators in synth.yaml compare with it", where)
			}
			continue
		case m.kind == "":
			continue
		}
		if m.rubric != "" {
			// A rubric can be graded only against a gold answer: decided
			// once the item's gold answers are known (finishRubrics).
			d.rubrics = append(d.rubrics, pendingRubric{m: m, typ: typ, value: value, where: where})
			rubrics = append(rubrics, m.rubric)
			continue
		}
		if m.approx != "" {
			p.notes.add(Approximated, "assertion "+typ+" → "+m.kind, m.approx, where)
		}
		if m.info != "" {
			p.notes.add(Info, "assertion "+typ+" → "+m.kind, m.info, where)
		}
		s := p.slot(m, typ)
		d.slots[s] = true
		if m.global {
			d.globals = append(d.globals, &occurrence{slot: s, typ: typ, value: value, where: where})
		}
		if len(m.golds) > 0 {
			answerAsserts++
			d.item.Answers = appendUnique(d.item.Answers, m.golds...)
		}
	}
	if answerAsserts > 1 {
		p.notes.add(Approximated, "several answer assertions on one test", "promptfoo requires all of them to pass; synth takes the gold answers they give as alternatives, and the best validator verdict wins (eval.policy.combine: best)", d.where)
	}
	switch len(rubrics) {
	case 0:
	case 1:
		d.item.Meta["rubric"] = rubrics[0]
	default:
		d.item.Meta["rubric"] = rubrics
	}
}

// pendingRubric is a rubric assertion waiting for the item's gold answers.
type pendingRubric struct {
	m     mapping
	typ   string
	value any
	where string
}

// finishRubrics maps an item's rubric assertions (llm-rubric, g-eval,
// model-graded-closedqa) onto the judge when the item has a gold answer to
// judge against; without one the rubric cannot be graded, and is listed.
func (p *pfImport) finishRubrics(d *itemDraft) {
	for _, pr := range d.rubrics {
		if len(d.item.Answers) == 0 {
			p.notes.add(Unsupported, "assertion "+pr.typ+" on a test without a gold answer",
				"synth's judge compares the answer with the item's gold answers and does not read rubrics, so this rubric cannot be graded: write the expected answer as the item's answer in evalset.jsonl (the judge then grades against it); the rubric is kept in meta.rubric", pr.where)
			entry := map[string]any{"type": pr.typ}
			if pr.value != nil {
				entry["value"] = pr.value
			}
			addMeta(d, "unmapped_asserts", entry)
			continue
		}
		p.notes.add(Approximated, "assertion "+pr.typ+" → judge",
			"synth's judge compares the answer with the item's gold answers and does not read rubrics (the rubric is kept in meta.rubric)", pr.where)
		d.slots[p.slot(pr.m, pr.typ)] = true
	}
}

func addMeta(d *itemDraft, key string, v any) {
	if d.item.Meta == nil {
		d.item.Meta = map[string]any{}
	}
	list, _ := d.item.Meta[key].([]any)
	d.item.Meta[key] = append(list, v)
}

func appendUnique(list []string, add ...string) []string {
	for _, s := range add {
		if s != "" && !slices.Contains(list, s) {
			list = append(list, s)
		}
	}
	return list
}

// addGrader records a grading provider (options.provider or an
// assertion's provider): {text: ...} holds the text grader, {embedding: ...}
// only an embedding model (not a judge).
func (p *pfImport) addGrader(g *node) {
	if g.kind == kindMap && !g.has("id") {
		if t := g.get("text"); !t.isNull() {
			g = t
		} else if g.has("embedding") {
			p.notes.add(Info, "embedding provider", "similar assertions use synth's semantic validator with synth's own embedder; the embedding provider was not imported", g.where())
			return
		}
	}
	pv, ok := providerOf(g)
	if !ok {
		return
	}
	for _, have := range p.graders {
		if have.id == pv.id {
			return
		}
	}
	p.graders = append(p.graders, pv)
}

// assertValue renders an assertion's value with the test's vars: text, or
// a list of text. File references are read (text files only).
func (p *pfImport) assertValue(v *node, t pfTest, r renderer, where string) (any, string) {
	if v.isNull() {
		return nil, ""
	}
	switch v.kind {
	case kindScalar:
		s := v.text
		if isFileRef(s) {
			refs, err := p.files.resolve(s)
			if err != nil || len(refs) != 1 {
				return s, "the value file cannot be read"
			}
			if codeExt[strings.ToLower(filepathExt(refs[0].path))] || refs[0].fn != "" {
				return s, "the value is computed by code"
			}
			text, err := p.files.readText(refs[0])
			if err != nil {
				return s, "the value file cannot be read: " + err.Error()
			}
			return strings.TrimSpace(text), ""
		}
		return r.render(s, t.vars), ""
	case kindList:
		out := make([]string, 0, len(v.list))
		for _, e := range v.list {
			if e.kind != kindScalar {
				return v.toAny(), "the value is structured data"
			}
			out = append(out, r.render(e.text, t.vars))
		}
		return out, ""
	}
	return v.toAny(), "the value is structured data"
}

func filepathExt(p string) string {
	i := strings.LastIndexAny(p, "./")
	if i < 0 || p[i] != '.' {
		return ""
	}
	return p[i:]
}

func strs(v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	}
	return nil
}

func threshold(a *node, def float64) float64 {
	if th := a.get("threshold"); th != nil && th.kind == kindScalar {
		if f, err := strconv.ParseFloat(th.text, 64); err == nil {
			return f
		}
	}
	return def
}

// has reports whether this synth build has validator kind.
func (p *pfImport) has(kind string) bool {
	if p.kinds == nil {
		return true
	}
	_, ok := p.kinds[kind]
	return ok
}

// hasParam reports whether validator kind takes param.
func (p *pfImport) hasParam(kind, param string) bool {
	if p.kinds == nil {
		return true
	}
	for _, prm := range p.kinds[kind].Params {
		if prm.Name == param {
			return true
		}
	}
	return false
}

// mapAssertion maps one assertion onto its synth counterpart.
func (p *pfImport) mapAssertion(typ string, a *node, value any, vproblem string) mapping {
	base, negated := strings.CutPrefix(typ, "not-")
	texts := strs(value)
	if vproblem != "" {
		return mapping{problem: vproblem + ": synth validators compare with text"}
	}
	needValue := func() (mapping, bool) {
		if len(texts) == 0 || (len(texts) == 1 && texts[0] == "") {
			return mapping{problem: "no value to compare with"}, false
		}
		return mapping{}, true
	}
	pattern := func(re string, negate bool, what string) mapping {
		if _, err := regexp.Compile(re); err != nil {
			return mapping{problem: "the pattern is not valid in Go's RE2 syntax (no look-around or back-references): " + err.Error()}
		}
		fields := []Field{{"pattern", re}}
		if negate {
			fields = append(fields, Field{"negate", true})
		}
		fields = append(fields, Field{"role", "check"})
		return mapping{kind: "regex", key: "regex\x00" + re + "\x00" + strconv.FormatBool(negate), fields: fields, global: true, info: what}
	}
	caseFold := strings.HasPrefix(base, "i")
	switch base {
	case "equals":
		if negated {
			return mapping{problem: "synth has no validator that requires an answer to differ from a value"}
		}
		if m, ok := needValue(); !ok {
			return m
		}
		if len(texts) != 1 {
			return mapping{problem: "equals with a list value"}
		}
		return mapping{kind: "exact", key: "exact", golds: texts}
	case "contains", "icontains", "contains-any", "icontains-any", "contains-all", "icontains-all":
		if m, ok := needValue(); !ok {
			return m
		}
		all := strings.HasSuffix(base, "-all")
		if negated {
			if all {
				return mapping{problem: "synth has no validator for \"must not contain all of\""}
			}
			alts := make([]string, len(texts))
			for i, s := range texts {
				alts[i] = regexp.QuoteMeta(s)
			}
			re := strings.Join(alts, "|")
			if caseFold {
				re = "(?i)" + re
			}
			return pattern(re, true, "")
		}
		m := mapping{kind: "contains", golds: texts,
			approx: "synth's contains matches whole words after normalising case, punctuation and articles (\"cat\" is not found in \"category\"); promptfoo matches any substring"}
		key := "contains"
		if all {
			key += "-all"
			m.fields = append(m.fields, Field{"mode", "all"})
		}
		if !caseFold {
			key += "-case"
			m.fields = append(m.fields, Field{"case_sensitive", true})
		}
		m.key = key
		return m
	case "starts-with":
		if m, ok := needValue(); !ok {
			return m
		}
		return pattern("^"+regexp.QuoteMeta(texts[0]), negated, "")
	case "regex":
		if m, ok := needValue(); !ok {
			return m
		}
		return pattern(texts[0], negated, "")
	case "similar":
		if negated {
			return mapping{problem: "synth has no validator that requires an answer to differ in meaning"}
		}
		if m, ok := needValue(); !ok {
			return m
		}
		th := threshold(a, 0.75)
		if !p.has("semantic") {
			return mapping{kind: "match", key: "match", golds: texts,
				approx: "this synth build has no semantic (embedding) validator: graded by match, synth's offline answer matcher (token overlap with number and spelling tolerance) at its default thresholds"}
		}
		m := mapping{kind: "semantic", key: "semantic", golds: texts,
			approx: "synth's semantic validator embeds with the project's embedder (knowledge.embedder, or the offline builtin one), whose similarities run lower than a model embedder's: calibrate the threshold with synth check"}
		switch {
		case p.hasParam("semantic", "correct") && p.hasParam("semantic", "partial"):
			// promptfoo's similar passes or fails: no partial band.
			m.fields = []Field{{"correct", th}, {"partial", th}}
		case p.hasParam("semantic", "threshold"):
			m.fields = []Field{{"threshold", th}}
		default:
			m.approx += "; it takes no threshold, so its default applies instead of " + num(th)
		}
		return m
	case "llm-rubric", "g-eval", "model-graded-closedqa", "factuality", "model-graded-factuality":
		if negated {
			return mapping{problem: "a negated model-graded assertion has no counterpart"}
		}
		if m, ok := needValue(); !ok {
			return m
		}
		if !p.has("judge") {
			m := mapping{problem: "this synth build has no judge (LLM-graded) validator"}
			if base == "factuality" || base == "model-graded-factuality" {
				m.golds = texts
			}
			return m
		}
		m := mapping{kind: "judge", key: "judge"}
		if base == "factuality" || base == "model-graded-factuality" {
			m.golds = texts
		} else {
			m.rubric = strings.Join(texts, "\n")
		}
		return m
	case "rouge-n":
		if negated {
			return mapping{problem: "synth has no validator that requires low overlap"}
		}
		if m, ok := needValue(); !ok {
			return m
		}
		th := threshold(a, 0.75)
		return mapping{kind: "rouge_l", key: "rouge_l", golds: texts, fields: []Field{{"correct", th}, {"partial", th}},
			approx: "rouge_l (longest common subsequence F-measure) is the closest counterpart of ROUGE-N (n-gram recall); the same threshold is used, pass or fail"}
	case "levenshtein", "bleu", "gleu", "meteor":
		m := mapping{problem: "synth has no " + base + " metric"}
		if !negated {
			m.golds = texts
		}
		return m
	case "is-refusal":
		if negated {
			if !p.has("refusal") {
				return mapping{problem: "this synth build has no refusal validator"}
			}
			return mapping{kind: "refusal", key: "refusal",
				info: "synth's refusal check labels an answer refused when it refuses a question that has a gold answer"}
		}
		return mapping{problem: "is-refusal passes when the model refuses; synth's refusal validator does the opposite (a refusal of an answerable question is a failure) and nothing requires a refusal. Grade these items by reading their outputs, or drop the test"}
	case "javascript", "python", "ruby", "webhook":
		return mapping{problem: "custom code is not run: port the check to a validator (regex, contains), or grade the outputs elsewhere and replay them"}
	case "latency", "cost":
		return mapping{problem: "synth reports latency and cost per run (summary.json) but has no per-item threshold"}
	case "assert-set":
		var inner []string
		for _, e := range asList(a.get("assert")) {
			inner = append(inner, e.get("type").str())
		}
		return mapping{problem: "assertion sets (" + strings.Join(inner, ", ") + ") with their own threshold have no counterpart: list the assertions directly"}
	case "is-json", "contains-json", "is-xml", "contains-xml", "is-sql", "contains-sql", "is-html", "contains-html":
		return mapping{problem: "synth has no structured-output validator"}
	}
	return mapping{problem: "no synth counterpart"}
}

// slot returns the slot for a mapping, creating it, and records the variant.
func (p *pfImport) slot(m mapping, typ string) *slot {
	s := p.slotIndex[m.key]
	if s == nil {
		s = &slot{key: m.key, kind: m.kind, global: m.global, from: map[string]int{}, items: map[int]bool{}, order: len(p.slots)}
		p.slotIndex[m.key] = s
		p.slots = append(p.slots, s)
	}
	s.from[typ]++
	sig := fmt.Sprint(m.fields)
	for _, v := range s.variants {
		if v.sig == sig {
			v.count++
			return s
		}
	}
	s.variants = append(s.variants, &variant{fields: m.fields, sig: sig, count: 1})
	return s
}

// finishItems lists the pattern assertions whose slot does not cover every
// item (they differ between tests) and drops those slots.
func (p *pfImport) finishItems(drafts []*itemDraft) {
	n := len(drafts)
	for _, d := range drafts {
		for _, o := range d.globals {
			if len(o.slot.items) == n {
				continue
			}
			p.notes.add(Unsupported, "assertion "+o.typ+" (per test)",
				"synth's validators apply the same pattern to every item; a pattern that only some tests use has no counterpart. Kept in the item's meta.unmapped_asserts", o.where)
			entry := map[string]any{"type": o.typ}
			if o.value != nil {
				entry["value"] = o.value
			}
			addMeta(d, "unmapped_asserts", entry)
		}
	}
	kept := p.slots[:0]
	for _, s := range p.slots {
		if s.global && len(s.items) != n {
			delete(p.slotIndex, s.key)
			continue
		}
		kept = append(kept, s)
	}
	p.slots = kept
}

// validatorEntries turns the slots into eval.validators entries.
func (p *pfImport) validatorEntries(nItems int) []ValidatorEntry {
	var out []ValidatorEntry
	byKind := map[string]int{}
	for _, s := range p.slots {
		byKind[s.kind]++
	}
	answerSlots := 0
	for _, s := range p.slots {
		if !s.global && s.kind != "refusal" {
			answerSlots++
		}
	}
	seenKind := map[string]int{}
	var partial []string
	for _, s := range p.slots {
		best := s.variants[0]
		for _, v := range s.variants[1:] {
			if v.count > best.count {
				best = v
			}
		}
		fields := []Field{{"type", s.kind}}
		name := s.kind
		if byKind[s.kind] > 1 {
			seenKind[s.kind]++
			name = fmt.Sprintf("%s_%d", s.kind, seenKind[s.kind])
			fields = append(fields, Field{"name", name})
		}
		if len(s.variants) > 1 {
			var alts []string
			for _, v := range s.variants {
				alts = append(alts, fmt.Sprintf("%s on %d", fieldsText(v.fields), v.count))
			}
			p.notes.add(Approximated, "validator "+name+" parameters", "the assertions disagree ("+strings.Join(alts, "; ")+"); one validator applies to every item, so the most common setting is used: "+fieldsText(best.fields), "")
		}
		fields = append(fields, best.fields...)
		var from []string
		for typ, n := range s.from {
			from = append(from, fmt.Sprintf("%s ×%d", typ, n))
		}
		sort.Strings(from)
		out = append(out, ValidatorEntry{Fields: fields, From: "promptfoo " + strings.Join(from, ", ")})
		if !s.global && s.kind != "refusal" && len(s.items) < nItems {
			partial = append(partial, fmt.Sprintf("%s on %d", name, len(s.items)))
		}
	}
	if answerSlots > 1 && len(partial) > 0 {
		p.notes.add(Approximated, "answer validators", fmt.Sprintf("promptfoo checked each assertion on its own tests only (%s of %d items); synth runs every validator on every item that has a gold answer, and the best answer label wins (eval.policy.combine: best)", strings.Join(partial, ", "), nItems), "")
	}
	return out
}

func fieldsText(fs []Field) string {
	if len(fs) == 0 {
		return "defaults"
	}
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = fmt.Sprintf("%s: %v", f.Key, f.Value)
	}
	return strings.Join(parts, ", ")
}
