package importers

import (
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/synth-dev/synth/dataset"
	"github.com/synth-dev/synth/spec"
)

// PromptfooOptions tune a promptfoo import.
type PromptfooOptions struct {
	// Validators are the validator kinds this synth build has, with their
	// parameters (the specs of validators.Builtin's entries). Assertions are
	// mapped only onto kinds listed here; an assertion whose counterpart is
	// missing is listed as unsupported (or, for similar, graded by match).
	// Nil means: assume every kind the importer knows exists.
	Validators []spec.Spec
}

// maxCombinations caps how many tests array-valued vars may expand into.
const maxCombinations = 10000

// gold vars: the variables a test's gold answer is taken from when no
// assertion gives one, in order.
var goldVars = []string{"expected", "answer", "expected_answer", "expected_output", "reference_answer", "ground_truth", "ideal"}

// questionVars: with no prompts, the question is the first of these vars.
var questionVars = []string{"prompt", "question", "query", "input"}

// pfImport is one promptfoo import in progress.
type pfImport struct {
	opt       PromptfooOptions
	files     files
	notes     notes
	templates *node
	prompts   []pfPrompt
	slots     []*slot
	slotIndex map[string]*slot
	graders   []provider
	kinds     map[string]spec.Spec
}

// pfPrompt is one prompt: a template for the question, with the chat
// messages around it.
type pfPrompt struct {
	label    string
	template string
	system   string
	history  []chatMsg
	where    string
}

type chatMsg struct{ role, content string }

// pfTest is one test after defaultTest was merged into it.
type pfTest struct {
	desc           string
	vars           *node
	asserts        []*node
	options        *node
	metadata       *node
	providerOutput *node
	prompts        []string
	at             *node
}

// Promptfoo imports a promptfoo config (promptfooconfig.yaml, or .json):
// its prompts, providers, tests (inline, or in CSV, JSON, JSONL and YAML
// files it points to), defaultTest, scenarios and assertionTemplates. The
// result is an eval set (one item per test and prompt), the matching
// synth.yaml (models, validators) and notes on everything that did not
// carry over exactly. docs/migrating.md states the rules.
func Promptfoo(path string, opt PromptfooOptions) (*Import, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, err
	}
	p := &pfImport{opt: opt, files: files{base: filepath.Dir(abs)}, slotIndex: map[string]*slot{}}
	if opt.Validators != nil {
		p.kinds = map[string]spec.Spec{}
		for _, s := range opt.Validators {
			p.kinds[s.Name] = s
		}
	}
	ref := fileRef{path: abs, name: filepath.Base(abs)}
	root, err := p.files.loadDoc(ref)
	if err != nil {
		return nil, fmt.Errorf("read promptfoo config: %w", err)
	}
	if root.kind != kindMap {
		return nil, root.errorf("a promptfoo config must be a mapping with prompts, providers and tests, got %s", root.kind)
	}
	imp := &Import{Format: "promptfoo", Source: path}
	p.topLevel(root)
	p.templates = root.get("assertionTemplates")

	if err := p.loadPrompts(root.get("prompts")); err != nil {
		return nil, err
	}
	cfg := &Config{Dataset: EvalSetFile}
	providers := root.get("providers")
	if providers.isNull() {
		providers = root.get("targets")
	}
	if err := p.loadModels(providers, cfg); err != nil {
		return nil, err
	}
	def, err := p.loadDefaultTest(root.get("defaultTest"))
	if err != nil {
		return nil, err
	}
	tests, err := p.loadTests(root.get("tests"), def)
	if err != nil {
		return nil, err
	}
	scen, err := p.loadScenarios(root.get("scenarios"), def)
	if err != nil {
		return nil, err
	}
	tests = append(tests, scen...)
	if tests, err = p.expand(tests); err != nil {
		return nil, err
	}
	if len(tests) == 0 {
		return nil, root.errorf("the config has no tests: nothing to import")
	}
	p.buildItems(imp, tests, cfg)
	if len(imp.Items) == 0 {
		return nil, root.errorf("no test produced a question (see the notes): nothing to import")
	}
	p.finishConfig(imp, cfg)
	imp.Config = cfg
	imp.Notes = p.notes.sorted()
	return imp, nil
}

// topLevel lists the top-level keys that carry no eval data synth uses.
func (p *pfImport) topLevel(root *node) {
	for i, k := range root.keys {
		v := root.vals[i]
		where := v.where()
		switch k {
		case "prompts", "providers", "targets", "tests", "defaultTest", "scenarios", "assertionTemplates", "description", "$schema":
		case "env":
			var names []string
			for _, n := range v.keys {
				names = append(names, n)
			}
			p.notes.add(Info, "env", "not copied (values may be secrets): export "+strings.Join(names, ", ")+" in your shell", where)
		case "nunjucksFilters":
			p.notes.add(Unsupported, "nunjucksFilters", "custom template filters are JavaScript: prompts using them are rendered without the filter", where)
		case "redteam":
			p.notes.add(Unsupported, "redteam", "red-team generation has no synth counterpart", where)
		case "extensions":
			p.notes.add(Unsupported, "extensions", "extension hooks are code: not run", where)
		case "derivedMetrics":
			p.notes.add(Unsupported, "derivedMetrics", "synth's summary reports counts per label and accuracy; custom metrics are not computed", where)
		default:
			p.notes.add(Info, k, "a promptfoo run option: not used by synth", where)
		}
	}
}

// asList returns a list node's elements, or a lone value as a list of one.
func asList(n *node) []*node {
	switch {
	case n.isNull():
		return nil
	case n.kind == kindList:
		return n.list
	}
	return []*node{n}
}

// loadPrompts reads the prompts: inline text, chat messages, file://
// references (text with --- separators, JSON/YAML chat, CSV with prompt and
// label columns), {id|raw, label} objects and the legacy {path: label} map.
func (p *pfImport) loadPrompts(n *node) error {
	if n.isNull() {
		return nil
	}
	var entries []struct {
		text, label string
		at          *node
	}
	if n.kind == kindMap { // legacy form: {file://a.txt: label}
		for i, k := range n.keys {
			entries = append(entries, struct {
				text, label string
				at          *node
			}{k, n.vals[i].str(), n.vals[i]})
		}
	} else {
		for _, e := range asList(n) {
			switch e.kind {
			case kindScalar:
				entries = append(entries, struct {
					text, label string
					at          *node
				}{e.text, "", e})
			case kindMap:
				text := e.get("raw").str()
				if text == "" {
					text = e.get("id").str()
				}
				if e.has("config") {
					p.notes.add(Unsupported, "prompt config", "per-prompt provider settings are not imported: set them on the model", e.where())
				}
				entries = append(entries, struct {
					text, label string
					at          *node
				}{text, e.get("label").str(), e})
			case kindList:
				// An inline chat prompt written as YAML messages.
				msgs, ok := chatMessages(e)
				if !ok {
					return e.errorf("a prompt given as a list must be chat messages ({role, content})")
				}
				p.addChatPrompt(msgs, "", e.where())
			default:
				return e.errorf("a prompt must be text, a file:// reference or {id, label}")
			}
		}
	}
	for _, e := range entries {
		if err := p.addPrompt(e.text, e.label, e.at); err != nil {
			return err
		}
	}
	return nil
}

var codeExt = map[string]bool{".js": true, ".ts": true, ".mjs": true, ".cjs": true, ".py": true, ".rb": true, ".sh": true, ".bash": true}

func (p *pfImport) addPrompt(text, label string, at *node) error {
	where := at.where()
	t := strings.TrimSpace(text)
	switch {
	case strings.HasPrefix(t, "exec:"), strings.Contains(t, "://") && !isFileRef(t):
		p.notes.add(Unsupported, "prompt "+t, "prompts produced by a program or fetched from a prompt service cannot be imported: paste the prompt text into the config", where)
		return nil
	case isFileRef(t):
		refs, err := p.files.resolve(t)
		if err != nil {
			return at.errorf("prompt %s", err)
		}
		for _, r := range refs {
			if err := p.promptFile(r, label, at); err != nil {
				return err
			}
		}
		return nil
	}
	if strings.HasPrefix(t, "[") {
		if n, err := parseYAML(at.file, []byte(t)); err == nil {
			if msgs, ok := chatMessages(n); ok {
				p.addChatPrompt(msgs, label, where)
				return nil
			}
		}
	}
	p.prompts = append(p.prompts, pfPrompt{label: labelOr(label, text), template: text, where: where})
	return nil
}

func labelOr(label, text string) string {
	if label != "" {
		return label
	}
	return clipText(text, 50)
}

func clipText(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func (p *pfImport) promptFile(r fileRef, label string, at *node) error {
	ext := strings.ToLower(filepath.Ext(r.path))
	where := r.name
	if codeExt[ext] || r.fn != "" {
		p.notes.add(Unsupported, "prompt file://"+r.name, "a prompt built by code cannot be imported: left out (with no prompt left, each question is the test's prompt, question, query or input var)", at.where())
		return nil
	}
	switch ext {
	case ".json", ".yaml", ".yml", ".jsonl":
		doc, err := p.files.loadDoc(r)
		if err != nil {
			return refError(at, "file://"+r.name, err)
		}
		docs := []*node{doc}
		if ext == ".jsonl" {
			docs = doc.list
		}
		for _, d := range docs {
			if msgs, ok := chatMessages(d); ok {
				p.addChatPrompt(msgs, labelOr(label, r.name), d.where())
				continue
			}
			if d.kind == kindScalar {
				p.prompts = append(p.prompts, pfPrompt{label: labelOr(label, r.name), template: d.text, where: d.where()})
				continue
			}
			return d.errorf("a prompt file must hold chat messages ({role, content}) or text")
		}
		return nil
	case ".csv":
		b, err := p.files.read(r)
		if err != nil {
			return refError(at, "file://"+r.name, err)
		}
		rows, err := promptCSV(r.name, b)
		if err != nil {
			return err
		}
		for _, row := range rows {
			l := row.label
			if l == "" && label != "" {
				l = label + ": " + row.text
			}
			p.prompts = append(p.prompts, pfPrompt{label: labelOr(l, row.text), template: row.text, where: row.where})
		}
		return nil
	}
	text, err := p.files.readText(r)
	if err != nil {
		return refError(at, "file://"+r.name, err)
	}
	parts := splitPrompts(text)
	for i, part := range parts {
		l := label
		if l == "" {
			l = r.name
			if len(parts) > 1 {
				l = fmt.Sprintf("%s#%d", r.name, i+1)
			}
		} else if len(parts) > 1 {
			l = fmt.Sprintf("%s#%d", label, i+1)
		}
		p.prompts = append(p.prompts, pfPrompt{label: l, template: part, where: where})
	}
	return nil
}

var promptSeparator = regexp.MustCompile(`(?m)^---\s*$`)

// splitPrompts splits a prompt file on lines holding only "---".
func splitPrompts(text string) []string {
	var out []string
	for _, part := range promptSeparator.Split(text, -1) {
		if s := strings.TrimSpace(part); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// chatMessages reads a list of {role, content} messages.
func chatMessages(n *node) ([]chatMsg, bool) {
	if n == nil || n.kind != kindList || len(n.list) == 0 {
		return nil, false
	}
	var out []chatMsg
	for _, m := range n.list {
		if m.kind != kindMap || !m.has("role") {
			return nil, false
		}
		c := m.get("content")
		var content string
		switch {
		case c.isNull():
		case c.kind == kindScalar:
			content = c.text
		case c.kind == kindList:
			var parts []string
			for _, part := range c.list {
				if part.kind == kindScalar {
					parts = append(parts, part.text)
				} else if t := part.get("text"); t != nil {
					parts = append(parts, t.str())
				}
			}
			content = strings.Join(parts, "\n")
		default:
			return nil, false
		}
		out = append(out, chatMsg{role: strings.ToLower(m.get("role").str()), content: content})
	}
	return out, true
}

func (p *pfImport) addChatPrompt(msgs []chatMsg, label, where string) {
	last := -1
	for i, m := range msgs {
		if m.role == "user" {
			last = i
		}
	}
	if last < 0 {
		p.notes.add(Unsupported, "chat prompt without a user message", "synth asks each item's question as a user message: this prompt has none", where)
		return
	}
	pr := pfPrompt{label: label, template: msgs[last].content, where: where}
	var system []string
	for i, m := range msgs {
		switch {
		case i == last:
		case m.role == "system" || m.role == "developer":
			system = append(system, m.content)
		default:
			pr.history = append(pr.history, m)
		}
	}
	if last != len(msgs)-1 {
		p.notes.add(Approximated, "chat prompt", "messages after the last user message are kept in meta.history; synth sends the question last", where)
	}
	pr.system = strings.Join(system, "\n\n")
	if pr.label == "" {
		pr.label = clipText(pr.template, 50)
	}
	p.prompts = append(p.prompts, pr)
}

type promptRow struct{ text, label, where string }

func promptCSV(name string, data []byte) ([]promptRow, error) {
	p := &pfImport{}
	rows, err := p.csvTests(name, data, ',')
	if err != nil {
		return nil, err
	}
	var out []promptRow
	for _, r := range rows {
		v := r.get("vars")
		text := v.get("prompt").str()
		if text == "" {
			return nil, r.errorf("a prompts CSV needs a prompt column")
		}
		out = append(out, promptRow{text: text, label: v.get("label").str(), where: r.where()})
	}
	return out, nil
}

// loadModels maps the providers onto models: entries.
func (p *pfImport) loadModels(n *node, cfg *Config) error {
	var list []*node
	if n.is(kindScalar) && isFileRef(n.text) {
		refs, err := p.files.resolve(n.text)
		if err != nil {
			return n.errorf("providers: %s", err)
		}
		for _, r := range refs {
			doc, err := p.files.loadDoc(r)
			if err != nil {
				return refError(n, "file://"+r.name, err)
			}
			list = append(list, asList(doc)...)
		}
	} else {
		for _, e := range asList(n) {
			if e.kind == kindScalar && isFileRef(e.text) && strings.Contains(".yaml.yml.json", strings.ToLower(filepath.Ext(e.text))) && filepath.Ext(e.text) != "" {
				refs, err := p.files.resolve(e.text)
				if err != nil {
					return e.errorf("providers: %s", err)
				}
				for _, r := range refs {
					doc, err := p.files.loadDoc(r)
					if err != nil {
						return refError(e, "file://"+r.name, err)
					}
					list = append(list, asList(doc)...)
				}
				continue
			}
			list = append(list, e)
		}
	}
	if n.isNull() {
		p.notes.add(Info, "providers", "the config names no provider: add a model under models: in synth.yaml", "")
	}
	taken := map[string]bool{}
	for _, e := range list {
		pv, ok := providerOf(e)
		if !ok {
			return e.errorf("a provider must be an id such as openai:gpt-4o-mini or {id, label, config}")
		}
		m, ok := p.mapProvider(pv)
		if !ok {
			continue
		}
		if e.kind == kindMap && (e.has("prompts") || e.has("transform")) {
			p.notes.add(Approximated, "provider "+pv.id, "per-provider prompts and transforms are not imported: synth eval asks every item of the eval set", e.where())
		}
		m.Name = uniqueName(m.Name, taken)
		cfg.Models = append(cfg.Models, m)
	}
	if len(cfg.Models) > 0 {
		cfg.Model = cfg.Models[0].Name
	}
	return nil
}

func uniqueName(name string, taken map[string]bool) string {
	n := name
	for i := 2; taken[n]; i++ {
		n = fmt.Sprintf("%s-%d", name, i)
	}
	taken[n] = true
	return n
}

// loadTestFile loads a tests file reference: CSV/TSV rows, or YAML, JSON
// and JSONL tests (a list, or one test).
func (p *pfImport) loadTestFile(ref string, at *node) ([]*node, error) {
	refs, err := p.files.resolve(ref)
	if err != nil {
		return nil, at.errorf("tests: %s", err)
	}
	var out []*node
	for _, r := range refs {
		ext := strings.ToLower(filepath.Ext(r.path))
		switch {
		case codeExt[ext] || r.fn != "":
			p.notes.add(Unsupported, "tests file://"+r.name, "tests generated by code cannot be imported: run the generator and save its tests as YAML, JSON or CSV", at.where())
			continue
		case ext == ".csv" || ext == ".tsv":
			b, err := p.files.read(r)
			if err != nil {
				return nil, refError(at, "file://"+r.name, err)
			}
			if !isUTF8(b) {
				return nil, &dataset.InputError{File: r.name, Msg: "the text is not valid UTF-8 (save the file as UTF-8)"}
			}
			comma := ','
			if ext == ".tsv" {
				comma = '\t'
			}
			rows, err := p.csvTests(r.name, b, comma)
			if err != nil {
				return nil, err
			}
			out = append(out, rows...)
		case ext == ".xlsx" || ext == ".xls":
			p.notes.add(Unsupported, "tests file://"+r.name, "Excel files are not read: save the sheet as CSV and import again", at.where())
		default:
			doc, err := p.files.loadDoc(r)
			if err != nil {
				return nil, refError(at, "file://"+r.name, err)
			}
			out = append(out, asList(doc)...)
		}
	}
	return out, nil
}

// loadDefaultTest reads defaultTest (inline or a file reference).
func (p *pfImport) loadDefaultTest(n *node) (*pfTest, error) {
	if n.isNull() {
		return nil, nil
	}
	if n.is(kindScalar) && isFileRef(n.text) {
		list, err := p.loadTestFile(n.text, n)
		if err != nil {
			return nil, err
		}
		if len(list) != 1 {
			return nil, n.errorf("defaultTest: the file must hold one test")
		}
		n = list[0]
	}
	if n.kind != kindMap {
		return nil, n.errorf("defaultTest must be a mapping with vars, assert and options")
	}
	def, err := p.readTest(n)
	if err != nil {
		return nil, err
	}
	if g := def.options.get("provider"); !g.isNull() {
		p.addGrader(g)
	}
	return &def, nil
}

// loadTests reads the tests: inline tests and file references, in order,
// each merged with defaultTest.
func (p *pfImport) loadTests(n *node, def *pfTest) ([]pfTest, error) {
	var raw []*node
	if n.is(kindMap) && n.has("path") {
		p.notes.add(Unsupported, "tests "+n.get("path").str(), "tests generated by code cannot be imported: run the generator and save its tests as YAML, JSON or CSV", n.where())
		return nil, nil
	}
	for _, e := range asList(n) {
		if e.kind == kindScalar {
			s := strings.TrimSpace(e.text)
			if isFileRef(s) {
				list, err := p.loadTestFile(s, e)
				if err != nil {
					return nil, err
				}
				raw = append(raw, list...)
				continue
			}
			if strings.Contains(s, "://") {
				p.notes.add(Unsupported, "tests "+s, "remote datasets (Hugging Face, Google Sheets, ...) are not fetched: download the data and import it (synth import hf for a Hugging Face dataset)", e.where())
				continue
			}
			if e.typ != typeString || filepath.Ext(s) == "" {
				return nil, e.errorf("a test must be a mapping with vars and assert, or a file:// reference, got %q", s)
			}
			// A bare path, as promptfoo also accepts.
			list, err := p.loadTestFile("file://"+s, e)
			if err != nil {
				return nil, err
			}
			raw = append(raw, list...)
			continue
		}
		raw = append(raw, e)
	}
	out := make([]pfTest, 0, len(raw))
	for _, t := range raw {
		if t.kind != kindMap {
			return nil, t.errorf("a test must be a mapping with vars and assert, got %s", t.kind)
		}
		tc, err := p.mergeTest(def, t)
		if err != nil {
			return nil, err
		}
		out = append(out, tc)
	}
	return out, nil
}

// loadScenarios expands scenarios: every config entry crossed with every test.
func (p *pfImport) loadScenarios(n *node, def *pfTest) ([]pfTest, error) {
	var out []pfTest
	for _, sc := range asList(n) {
		if sc.kind == kindScalar && isFileRef(sc.text) {
			list, err := p.loadTestFile(sc.text, sc)
			if err != nil {
				return nil, err
			}
			for _, s := range list {
				more, err := p.loadScenarios(s, def)
				if err != nil {
					return nil, err
				}
				out = append(out, more...)
			}
			continue
		}
		if sc.kind != kindMap {
			return nil, sc.errorf("a scenario must be a mapping with config and tests")
		}
		tests, err := p.loadTests(sc.get("tests"), nil)
		if err != nil {
			return nil, err
		}
		configs := asList(sc.get("config"))
		if len(configs) == 0 {
			configs = []*node{{kind: kindMap, file: sc.file, line: sc.line}}
		}
		for _, c := range configs {
			base, err := p.mergeTest(def, c)
			if err != nil {
				return nil, err
			}
			for _, t := range tests {
				m := combine(base, t)
				if sc.has("description") && m.desc == "" {
					m.desc = sc.get("description").str()
				}
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// combine lays test t over base (vars and options override, asserts add up).
func combine(base, t pfTest) pfTest {
	out := t
	out.vars = mergeMaps(base.vars, t.vars)
	out.asserts = append(append([]*node(nil), base.asserts...), t.asserts...)
	out.options = mergeMaps(base.options, t.options)
	out.metadata = mergeMaps(base.metadata, t.metadata)
	if out.providerOutput == nil {
		out.providerOutput = base.providerOutput
	}
	descs := []string{}
	for _, d := range []string{base.desc, t.desc} {
		if d != "" {
			descs = append(descs, d)
		}
	}
	out.desc = strings.Join(descs, " / ")
	return out
}

func mergeMaps(a, b *node) *node {
	if a.isNull() {
		return b
	}
	if b.isNull() {
		return a
	}
	out := a.clone()
	for i, k := range b.keys {
		out.set(k, b.vals[i])
	}
	return out
}

// readTest reads one test (or defaultTest, or a scenario config entry).
func (p *pfImport) readTest(n *node) (pfTest, error) {
	tc := pfTest{at: n}
	if n == nil {
		return tc, nil
	}
	tc.desc = n.get("description").str()
	vars := n.get("vars")
	if vars.is(kindScalar) && isFileRef(vars.text) {
		list, err := p.loadTestFile(vars.text, vars)
		if err != nil {
			return tc, err
		}
		if len(list) != 1 || list[0].kind != kindMap {
			return tc, vars.errorf("vars: the file must hold one mapping of variables")
		}
		vars = list[0]
	}
	if !vars.isNull() && vars.kind != kindMap {
		return tc, vars.errorf("vars must be a mapping of variable names to values")
	}
	tc.vars = vars
	for _, a := range asList(n.get("assert")) {
		resolved, err := p.resolveRef(a)
		if err != nil {
			return tc, err
		}
		tc.asserts = append(tc.asserts, resolved)
	}
	tc.options = n.get("options")
	tc.metadata = n.get("metadata")
	tc.providerOutput = n.get("providerOutput")
	for _, pr := range asList(n.get("prompts")) {
		tc.prompts = append(tc.prompts, pr.str())
	}
	for i, k := range n.keys {
		switch k {
		case "description", "vars", "assert", "options", "metadata", "providerOutput", "prompts":
		case "threshold":
			p.notes.add(Unsupported, "test threshold", "synth labels each item from its validators' verdicts; a weighted-score threshold has no counterpart", n.vals[i].where())
		case "providers":
			p.notes.add(Approximated, "test providers", "promptfoo ran this test on some providers only; synth eval grades whichever --model you choose on every item", n.vals[i].where())
		case "assertScoringFunction":
			p.notes.add(Unsupported, "assertScoringFunction", "custom scoring is code: synth's label policy combines the validators' verdicts", n.vals[i].where())
		default:
			p.notes.add(Unsupported, "test key "+k, "not a test field synth knows: ignored", n.vals[i].where())
		}
	}
	return tc, nil
}

// mergeTest reads a test and merges defaultTest into it (promptfoo's rules:
// the test's vars and options win, defaultTest's assertions come first).
func (p *pfImport) mergeTest(def *pfTest, t *node) (pfTest, error) {
	tc, err := p.readTest(t)
	if err != nil || def == nil {
		return tc, err
	}
	out := combine(*def, tc)
	out.desc = tc.desc
	out.at = t
	if len(out.prompts) == 0 {
		out.prompts = def.prompts
	}
	return out, nil
}

// resolveRef replaces {$ref: '#/assertionTemplates/name'} with the template.
func (p *pfImport) resolveRef(a *node) (*node, error) {
	ref := a.get("$ref").str()
	if ref == "" {
		return a, nil
	}
	name, ok := strings.CutPrefix(ref, "#/assertionTemplates/")
	if !ok {
		return nil, a.errorf("$ref %q: only #/assertionTemplates/NAME references are supported", ref)
	}
	t := p.templates.get(name)
	if t == nil {
		return nil, a.errorf("$ref %q: no assertion template named %q", ref, name)
	}
	out := t.clone()
	for i, k := range a.keys { // keys beside $ref override the template's
		if k != "$ref" {
			out.set(k, a.vals[i])
		}
	}
	out.file, out.line = a.file, a.line
	return out, nil
}

// expand turns array-valued vars into one test per combination, as
// promptfoo does, and loads file:// var values.
func (p *pfImport) expand(tests []pfTest) ([]pfTest, error) {
	var out []pfTest
	for _, t := range tests {
		if t.vars.isNull() {
			t.vars = &node{kind: kindMap, file: t.at.file, line: t.at.line}
		}
		vars := t.vars.clone()
		for i, k := range vars.keys {
			v, err := p.loadVar(vars.vals[i], k)
			if err != nil {
				return nil, err
			}
			vars.vals[i] = v
		}
		combos := []*node{vars}
		for i, k := range vars.keys {
			v := vars.vals[i]
			if v.kind != kindList {
				continue
			}
			if len(v.list) == 0 {
				continue
			}
			if len(combos)*len(v.list) > maxCombinations {
				return nil, v.errorf("the array vars of this test expand to more than %d tests", maxCombinations)
			}
			var next []*node
			for _, c := range combos {
				for _, e := range v.list {
					cc := c.clone()
					cc.set(k, e)
					next = append(next, cc)
				}
			}
			combos = next
		}
		for _, c := range combos {
			tc := t
			tc.vars = c
			out = append(out, tc)
		}
	}
	return out, nil
}

var textExt = map[string]bool{".txt": true, ".md": true, ".markdown": true, ".html": true, ".htm": true, ".csv": true, ".xml": true, ".j2": true, "": true}

// loadVar loads a file:// variable: text files as text, YAML and JSON as data.
func (p *pfImport) loadVar(v *node, name string) (*node, error) {
	if v.kind == kindList {
		out := v.clone()
		for i, e := range out.list {
			l, err := p.loadVar(e, name)
			if err != nil {
				return nil, err
			}
			out.list[i] = l
		}
		return out, nil
	}
	if v.kind != kindScalar || !isFileRef(v.text) {
		return v, nil
	}
	refs, err := p.files.resolve(v.text)
	if err != nil {
		return nil, v.errorf("vars.%s: %s", name, err)
	}
	if len(refs) != 1 {
		// A glob in a var expands to one test per file.
		list := &node{kind: kindList, file: v.file, line: v.line}
		for _, r := range refs {
			l, err := p.loadVar(scalar("file://"+r.path, v), name)
			if err != nil {
				return nil, err
			}
			list.list = append(list.list, l)
		}
		return list, nil
	}
	r := refs[0]
	ext := strings.ToLower(filepath.Ext(r.path))
	switch {
	case codeExt[ext] || r.fn != "":
		p.notes.add(Unsupported, "var "+name+" from code", "a variable computed by code cannot be imported: the reference is kept as text", v.where())
		return v, nil
	case ext == ".yaml" || ext == ".yml" || ext == ".json":
		return p.files.loadDoc(r)
	case textExt[ext]:
		text, err := p.files.readText(r)
		if err != nil {
			return nil, refError(v, "file://"+r.name, err)
		}
		return scalar(text, v), nil
	}
	p.notes.add(Unsupported, "var "+name+" file ("+ext+")", "images, audio, PDFs and other binary files are not loaded: the reference is kept as text", v.where())
	return v, nil
}

var slugRE = regexp.MustCompile(`[^a-z0-9]+`)

// slug makes an id from a description: lower case words joined by "-", at
// most 48 characters.
func slug(s string) string {
	s = strings.Trim(slugRE.ReplaceAllString(strings.ToLower(s), "-"), "-")
	if len(s) > 48 {
		s = s[:48]
		if i := strings.LastIndex(s, "-"); i > 24 {
			s = s[:i]
		}
		s = strings.Trim(s, "-")
	}
	return s
}

// promptMatches applies a test's prompt filter (labels, "group:" prefixes, "*").
func promptMatches(filter []string, label string) bool {
	if len(filter) == 0 {
		return true
	}
	for _, f := range filter {
		switch {
		case f == label:
			return true
		case strings.HasSuffix(f, "*") && strings.HasPrefix(label, strings.TrimSuffix(f, "*")):
			return true
		case strings.HasPrefix(label, f+":"):
			return true
		}
	}
	return false
}

// itemDraft is an item being built, with what the second pass needs.
type itemDraft struct {
	item    dataset.Item
	where   string
	globals []*occurrence
	slots   map[*slot]bool
	rubrics []pendingRubric
}

// buildItems makes one item per test and prompt.
func (p *pfImport) buildItems(imp *Import, tests []pfTest, cfg *Config) {
	prompts := p.prompts
	fallback := false
	if len(prompts) == 0 {
		fallback = true
		name := ""
		for _, v := range questionVars {
			for _, t := range tests {
				if t.vars.has(v) {
					name = v
					break
				}
			}
			if name != "" {
				break
			}
		}
		if name == "" {
			p.notes.add(Skipped, "all tests", "there is no prompt, and no test has a prompt, question, query or input var to ask", "")
			return
		}
		prompts = []pfPrompt{{label: "{{" + name + "}}", template: "{{" + name + "}}"}}
		p.notes.add(Info, "question", "the config has no usable prompt: each item's question is its "+name+" var", "")
	}
	ids := map[string]bool{}
	var drafts []*itemDraft
	for n, t := range tests {
		where := t.at.where()
		base := slug(t.desc)
		if base == "" {
			base = fmt.Sprintf("test-%d", n+1)
		}
		for k, pr := range prompts {
			if !promptMatches(t.prompts, pr.label) {
				continue
			}
			id := base
			if len(prompts) > 1 {
				id = fmt.Sprintf("%s-p%d", base, k+1)
			}
			id = uniqueName(id, ids)
			d := p.buildItem(id, t, pr, where, fallback, len(prompts) > 1)
			if d == nil {
				continue
			}
			drafts = append(drafts, d)
			for s := range d.slots {
				s.items[len(drafts)-1] = true
			}
			if t.providerOutput != nil && !t.providerOutput.isNull() {
				imp.Outputs = append(imp.Outputs, Output{ID: id, Output: t.providerOutput.render()})
			}
		}
	}
	p.finishItems(drafts)
	for _, d := range drafts {
		imp.Items = append(imp.Items, d.item)
	}
	p.systemPrompt(imp.Items, cfg)
}

// buildItem renders one test with one prompt and maps its assertions.
func (p *pfImport) buildItem(id string, t pfTest, pr pfPrompt, where string, fallback, multi bool) *itemDraft {
	r := renderer{
		missing: func(name string) {
			if !fallback {
				p.notes.add(Approximated, "var "+name, "the prompt uses {{"+name+"}} but the test does not set it: rendered as empty text, as promptfoo does", where)
			}
		},
		unsupported: func(what string) {
			p.notes.add(Approximated, "template "+what, "not supported by the importer's template renderer: left out of the question", pr.where)
		},
	}
	t.vars = renderVars(r, t.vars)
	q := r.render(pr.template, t.vars)
	if !t.options.isNull() {
		q = t.options.get("prefix").str() + q + t.options.get("suffix").str()
		for i, k := range t.options.keys {
			switch k {
			case "prefix", "suffix", "provider":
			case "transform", "postprocess":
				p.notes.add(Unsupported, "test options."+k, "output transforms are code: synth grades the model's raw answer", t.options.vals[i].where())
			default:
				p.notes.add(Unsupported, "test options."+k, "not imported", t.options.vals[i].where())
			}
		}
	}
	q = strings.TrimSpace(q)
	if q == "" {
		p.notes.add(Skipped, "test with an empty question", "the rendered prompt is empty: the test was left out", where)
		return nil
	}
	it := dataset.Item{ID: id, Question: q, Meta: map[string]any{}}
	if t.desc != "" {
		it.Meta["description"] = t.desc
	}
	if len(t.vars.keys) > 0 {
		it.Meta["vars"] = t.vars.toAny()
	}
	if multi {
		it.Meta["prompt"] = pr.label
		it.Tags = append(it.Tags, "prompt:"+pr.label)
	}
	if pr.system != "" {
		it.Meta[dataset.MetaSystem] = strings.TrimSpace(r.render(pr.system, t.vars))
	}
	if len(pr.history) > 0 {
		var h []any
		for _, m := range pr.history {
			h = append(h, map[string]any{"role": m.role, "content": r.render(m.content, t.vars)})
		}
		it.Meta[dataset.MetaHistory] = h
		p.notes.add(Approximated, "multi-turn chat prompt", "synth asks one question per item; the earlier turns are kept in meta.history", pr.where)
	}
	if !t.metadata.isNull() {
		md := t.metadata.toAny()
		it.Meta["metadata"] = md
		if tags := t.metadata.get("tags"); !tags.isNull() {
			for _, tg := range asList(tags) {
				if s := strings.TrimSpace(tg.render()); s != "" {
					it.Tags = append(it.Tags, s)
				}
			}
		}
	}
	d := &itemDraft{item: it, where: where, slots: map[*slot]bool{}}
	p.mapAssertions(d, t, r)
	if len(d.item.Answers) == 0 {
		for _, v := range goldVars {
			if val := t.vars.get(v); !val.isNull() {
				for _, e := range asList(val) {
					if s := strings.TrimSpace(e.render()); s != "" {
						d.item.Answers = append(d.item.Answers, s)
					}
				}
				if len(d.item.Answers) > 0 {
					p.notes.add(Info, "gold answer from vars."+v, "no assertion gives a gold answer, so the "+v+" var is the gold answer", where)
					break
				}
			}
		}
	}
	p.finishRubrics(d)
	if len(d.item.Meta) == 0 {
		d.item.Meta = nil
	}
	return d
}

// renderVars renders variables whose text uses other variables ("Say hello
// in {{language}}"), one level deep, as promptfoo does.
func renderVars(r renderer, vars *node) *node {
	var out *node
	for i, v := range vars.vals {
		if v.kind == kindScalar && usesTemplate(v.text) {
			if out == nil {
				out = vars.clone()
			}
			out.vals[i] = scalar(r.render(v.text, vars), v)
		}
	}
	if out == nil {
		return vars
	}
	return out
}

// systemPrompt sets eval.system_prompt: the system message all items share,
// or none (synth's default support-bot prompt would change the task).
func (p *pfImport) systemPrompt(items []dataset.Item, cfg *Config) {
	shared := ""
	same := true
	for i, it := range items {
		s, _ := it.Meta[dataset.MetaSystem].(string)
		if i == 0 {
			shared = s
		} else if s != shared {
			same = false
		}
	}
	if same {
		for i := range items {
			delete(items[i].Meta, dataset.MetaSystem)
			if len(items[i].Meta) == 0 {
				items[i].Meta = nil
			}
		}
		cfg.SystemPrompt = &shared
		return
	}
	empty := ""
	cfg.SystemPrompt = &empty
	p.notes.add(Approximated, "system messages", "the prompts' system messages differ between items; synth sends one eval.system_prompt to every item, so none is set and each item keeps its own in meta.system", "")
}

// finishConfig adds the validators, the judge and the replay model.
func (p *pfImport) finishConfig(imp *Import, cfg *Config) {
	taken := map[string]bool{}
	for _, m := range cfg.Models {
		taken[m.Name] = true
	}
	cfg.Validators = p.validatorEntries(len(imp.Items))
	needsJudge := slices.ContainsFunc(cfg.Validators, func(v ValidatorEntry) bool { return v.Type() == "judge" })
	if needsJudge {
		p.pickJudge(cfg, taken)
	}
	if len(imp.Outputs) > 0 {
		name := uniqueName("recorded", taken)
		cfg.Models = append(cfg.Models, ModelEntry{Name: name, Fields: []Field{{"provider", "replay"}, {"path", OutputsFile}},
			From: "the tests' providerOutput (recorded answers)"})
		if len(imp.Outputs) == len(imp.Items) {
			cfg.Model = name
		} else {
			p.notes.add(Info, "providerOutput", fmt.Sprintf("%d of %d items have a recorded output: `synth eval --model %s` grades them (the others end as error)", len(imp.Outputs), len(imp.Items), name), "")
		}
	}
	if len(cfg.Models) == 0 {
		p.notes.add(Info, "models", "no provider could be imported: add a model to synth.yaml (for example {provider: openai, model: gpt-4o-mini}) and set eval.model", "")
	}
}

// pickJudge maps the grading provider (defaultTest.options.provider or an
// assertion's provider) onto a model for eval.judge.
func (p *pfImport) pickJudge(cfg *Config, taken map[string]bool) {
	for _, g := range p.graders {
		m, ok := p.mapProvider(g)
		if !ok {
			continue
		}
		for _, have := range cfg.Models {
			if fieldsEqual(have.Fields, m.Fields) {
				cfg.Judge = have.Name
				return
			}
		}
		m.Name = uniqueName(m.Name, taken)
		m.From = g.id + " (the grading provider)"
		cfg.Models = append(cfg.Models, m)
		cfg.Judge = m.Name
		return
	}
	// promptfoo grades with an OpenAI model by default, with the same key:
	// the closest is an imported OpenAI model.
	for _, m := range cfg.Models {
		for _, f := range m.Fields {
			if f.Key == "provider" && f.Value == "openai" {
				cfg.Judge = m.Name
				p.notes.add(Info, "judge", "the config names no grading provider and promptfoo grades with an OpenAI model by default: eval.judge is "+m.Name+" (an imported OpenAI model); change it to grade with another model", "")
				return
			}
		}
	}
	cfg.JudgeHint = "model-graded assertions need a judge model: name one of models: here"
	p.notes.add(Info, "judge", "the config names no grading provider (promptfoo's default grader is an OpenAI model): set eval.judge to one of models: before running synth eval", "")
}

func fieldsEqual(a, b []Field) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Key != b[i].Key || fmt.Sprint(a[i].Value) != fmt.Sprint(b[i].Value) {
			return false
		}
	}
	return true
}

// num renders a number for notes.
func num(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
