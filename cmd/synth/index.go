package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/synth-dev/synth/pipelines"
	"github.com/synth-dev/synth/retrieval"
)

type indexOptions struct {
	rebuild bool
	quiet   bool
}

func newIndexCmd(s *streams, g *globalOptions) *cobra.Command {
	o := &indexOptions{}
	cmd := &cobra.Command{
		Use:   "index",
		Short: "Chunk and embed the help docs into the local vector store",
		Long: `Load the help docs named by knowledge.docs (Markdown, HTML, plain text),
chunk them keeping each chunk's heading path, embed them and store them in
the project's snapshot under .synth/. Indexing is incremental: unchanged
chunks are not embedded again, edited docs re-embed only their changed
chunks, and deleted docs leave the store.`,
		Example: "  synth index\n  synth index --rebuild",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runIndex(cmd.Context(), s, g, o)
		},
	}
	cmd.Flags().BoolVar(&o.rebuild, "rebuild", false, "ignore the existing snapshot and embed everything again")
	cmd.Flags().BoolVarP(&o.quiet, "quiet", "q", false, "no progress output")
	return cmd
}

func runIndex(ctx context.Context, s *streams, g *globalOptions, o *indexOptions) error {
	cfg, err := loadConfig(g.configPath)
	if err != nil {
		return err
	}
	proj := pipelines.OpenProject(cfg, pipelines.ProjectOptions{})
	if !proj.HasDocs() {
		return usagef("%s names no help docs: add knowledge.docs (globs such as \"docs/**/*.md\")", g.configPath)
	}
	var prog *progress
	opts := []retrieval.Option{retrieval.WithProgress(func(done, total int) {
		if prog == nil {
			prog = newProgress(s, "embedding", total, o.quiet || total < 200)
		}
		prog.step(done, fmt.Sprintf("embedded %d of %d chunks", done, total))
	})}
	if o.rebuild {
		opts = append(opts, retrieval.WithRebuild())
	}
	kb, err := proj.OpenKB(opts...)
	if err != nil {
		return asUsage(err)
	}
	defer kb.Close()
	st, err := kb.Index(ctx)
	if prog != nil {
		prog.finish()
	}
	if err != nil {
		return err
	}
	if g.json {
		return writeJSON(s, st)
	}
	fmt.Fprintf(s.Out, "indexed %d docs: %d chunks (%d added, %d kept, %d removed; %d embedded) in %s\n",
		st.Docs, st.Chunks, st.Added, st.Kept, st.Removed, st.Embedded, st.Duration.Round(1e5))
	fmt.Fprintf(s.Out, "  store     %s\n  embedder  %s\n", relPath(st.Snapshot), st.Embedder)
	return nil
}
