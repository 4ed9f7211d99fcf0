package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/viper"

	"github.com/synth-dev/synth/pipelines"
)

// envBound are the scalar keys that SYNTH_* environment variables may set even
// when the config file does not mention them (SYNTH_EVAL_CONCURRENCY=8).
// Keys that the file does set can always be overridden the same way
// (SYNTH_MODELS_GPT_MODEL=gpt-4o).
var envBound = []string{
	"eval.dataset", "eval.model", "eval.judge", "eval.concurrency", "eval.out", "eval.system_prompt",
	"cache.enabled", "cache.dir",
}

// loadConfig reads the config file with viper (YAML, SYNTH_* overrides) and
// parses it. A missing file is a usage error that says how to make one.
func loadConfig(path string) (*pipelines.Config, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, asUsage(err)
	}
	if _, err := os.Stat(abs); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, usagef("no config file %s (create a project with `synth init DIR`, or pass --config FILE)", path)
		}
		return nil, asUsage(err)
	}
	v := viper.New()
	v.SetConfigFile(abs)
	v.SetConfigType("yaml")
	v.SetEnvPrefix("SYNTH")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	for _, k := range envBound {
		if err := v.BindEnv(k); err != nil {
			return nil, err
		}
	}
	if err := v.ReadInConfig(); err != nil {
		return nil, usagef("%s: %v", path, strings.TrimPrefix(err.Error(), "While parsing config: "))
	}
	raw := v.AllSettings()
	// Tuned models registered by `synth tune` (.synth/models.json) join models:;
	// synth.yaml wins on a name clash (`synth tune list` shows it).
	if _, err := pipelines.MergeTunedModels(raw, filepath.Dir(abs)); err != nil {
		return nil, asUsage(err)
	}
	cfg, err := pipelines.ParseConfig(raw, filepath.Dir(abs))
	if err != nil {
		return nil, &usageError{fmt.Errorf("%s: %w", path, err)}
	}
	return cfg, nil
}
