module github.com/synth-dev/synth

go 1.26.8
