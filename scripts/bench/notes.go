package main

// Findings per section: what profiling showed and what was changed because
// of it. They go into docs/performance.md under each section's figures.
// The numbers in them were measured while investigating (on the same
// machine, at the load stated); the figures above them are this run's.

const evalNotes = `
**Where the time goes** (measured while investigating; the figures above are this run's):

- *The machine* (the floor): the bare HTTP client alone runs 3–5% over the ideal here. Every
  request sleeps 50 ms in the server; on a shared 2-core VM timers fire late and the woken
  goroutines wait for a CPU. Nothing in synth can remove this.
- *Granularity and spread*: 2,000 items on 32 slots is 62.5 items a slot, so half the slots
  run one item more, and the run ends when the slowest slot does: 63 items of ~103 ms plus the
  spread of their latencies, 1.5–2% over the floor before synth adds anything ("run alone ÷
  ideal" above is the floor plus this).
- *Start-up and reports*: ~20 ms to start (config, eval set, manifest) and ~100 ms at the
  end, most of it rendering report.html for 2,000 items (~80 ms: html/template with
  reflection, ~40 µs an item, no single hot spot; report.md ~10 ms; the fsyncs of the atomic
  writes). 1.5–2% of this 6.25 s run; the same in absolute terms, so relatively less, for
  longer runs.
- *Per item*: nothing measurable over the floor: items took 103.4 ms on average (latency_ms
  in results.jsonl), two floor requests 103.3 ms. langchaingo, our body patch, the judge
  prompt, the validators and the policy cost ~0.35 ms of CPU per request, off the critical
  path at this load.
- *Checked and fine*: connection reuse (each model's HTTP client keeps at least its
  concurrency in idle connections per host, llm.newHTTPClient; ss showed 32 connections
  serving all 4,000 requests, none re-opened); the judge call running after the answer call
  inside an item (with 32 items in flight the server always had 32 requests: "most
  requests in flight" = 32); progress lines (one per item to stderr, microseconds); memory
  (~35 MB peak: results are streamed to disk, the run keeps one Result per item).

**What was changed.**

- *results.jsonl no longer fsyncs on the item's path* (dataset.JSONLWriter). Every result line
  was fsynced (1.3–1.9 ms each on this disk) while the runner's delivery lock and the item's
  concurrency slot were held: each slot stayed busy 2–5 ms longer per item than the item took
  (slot time from duration_ms × 32 ÷ 2,000, item time from latency_ms), and a fast model could
  not finish more than ~600 items a second. The writer now fsyncs in the background (group
  commit: one flush covers every line written before it started; Close waits for it; a failed
  flush fails the next Write). A crash of the process still loses nothing written; a crash of
  the machine loses at most the last flush's lines, which --resume redoes. Back to back at the
  same load (~3.5): 1.10–1.14 × the ideal before, 1.07–1.09 after. Where no model latency
  hides it, the difference is larger: a 20,000-item eval of a replay model (f1, rouge_l,
  refusal) took 8.7 s before and 2.0 s after.
- *The runner keeps a fixed pool of workers* instead of a goroutine per item (see section 3).

**Not changed, for the owners.**

- langchaingo compiles a regular expression on every call (openai.getModelCapabilities calls
  regexp.MatchString per request): ~25 µs and ~7% of synth's CPU in this benchmark. CPU, not
  wall time, at this request rate; vendor code, left alone.

**Changed since: the response cache.** Responses used to be written to the cache (a file
per entry: a temp file, then a rename, 0.3–1 ms of kernel time each on this disk) before
the call returned, which made a cold run with the cache on 1.10× the ideal or more. They
are now written in the background (at most 16 at once, the caller writing itself when all
are busy) and the commands wait for them when they close their models: a cold run with the
cache on now measures about the same as one with the cache off (the table above).
BenchmarkMiddleware/full_chain,_cache_miss below calls back to back, so most of its writes
fall back to the caller: it still times about one write per call.
`

const indexNotes = `
- Indexing takes ~1 CPU-second per 10,000 chunks (~10,000 chunks per CPU-second): the
  embedding and the gzip of the snapshot run on every core, so the target holds when both
  cores are free. On a busy machine the wall-clock rate falls with the share of CPU the
  benchmark gets: at a load of ~10 on 2 cores it measured ~3,000 chunks/s with the same CPU time.
- Search embeds the query (~25 µs) and scans retrieval's own contiguous 10,000 × 512 float32
  matrix with a 4-accumulator dot product and an insertion top-k: ~1.5 ms, close to the memory
  bandwidth bound (~20 MB read per query). chromem-go's own exhaustive query over the same
  collection took ~10 ms: it sends every document through a channel to NumCPU goroutines,
  takes a mutex per document for its heap and follows a pointer per document
  (retrieval's BenchmarkQueryStages takes it apart). p99 follows the machine's load
  (scheduling), not the data.
`

const validatorsNotes = `
- ~31 µs of CPU per answer for the four validators, the prompt and the label policy. numbers
  is ~40% of it (quantity extraction, where date parsing is tried at every token), f1 ~20%,
  rouge_l ~15%, links ~13%; each validator tokenises the answer and the gold answers itself.
  The 2 s target needs both cores: 3.1 CPU-seconds ÷ 2 ≈ 1.6 s on an idle machine.
- *Changed*: pipelines.ForEach started one goroutine per item (errgroup.Go with a limit); each
  new goroutine grew its stack again for the validators' deep calls (runtime.newstack and
  copystack were ~8% of the profile). It now runs eval.concurrency workers that take the items
  in order: 3.7 → 3.2 CPU-seconds per 100k answers (medians of seven alternating runs of
  both builds). Same contract: completion-order delivery, no new item after cancellation.
- Next steps for the validators owner, if the target must hold on a busy machine: tokenise
  once per item and share the tokens between f1, rouge_l and match; skip date parsing at
  tokens that cannot start a date.
`

const startupNotes = `
- GODEBUG=inittrace=1: every package's init together takes ~4 ms; the largest are generators
  (~0.8 ms), report (~0.7 ms, parsing its HTML templates), the Markdown parser library
  (~0.5 ms) and validators (~0.3 ms, compiling regular expressions). The rest is starting the
  process and the Go runtime. Nothing worth making lazy: no change.
`
