package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"

	"golang.org/x/term"
)

// streams are the command's standard streams and what we know about them.
// Results go to Out, messages and progress to Err.
type streams struct {
	In  io.Reader
	Out io.Writer
	Err io.Writer
	// OutTTY and ErrTTY report whether the streams are terminals.
	OutTTY, ErrTTY bool
	// Color is on for a terminal unless NO_COLOR is set.
	Color bool
}

func systemStreams() *streams {
	outTTY := term.IsTerminal(int(os.Stdout.Fd()))
	errTTY := term.IsTerminal(int(os.Stderr.Fd()))
	_, noColor := os.LookupEnv("NO_COLOR")
	return &streams{
		In: os.Stdin, Out: os.Stdout, Err: os.Stderr,
		OutTTY: outTTY, ErrTTY: errTTY,
		Color: outTTY && !noColor && os.Getenv("TERM") != "dumb",
	}
}

// testStreams returns streams backed by buffers, as when output is piped.
func testStreams() (*streams, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	return &streams{In: strings.NewReader(""), Out: &out, Err: &errb}, &out, &errb
}

// sanitize makes text safe to print on a terminal: escape sequences and other
// control characters (except newline and tab) are shown as visible escapes, so
// model output cannot move the cursor, recolour or retitle the terminal.
func (s *streams) sanitize(text string) string {
	return sanitizeTerminal(text)
}

func sanitizeTerminal(text string) string {
	clean := true
	for _, r := range text {
		if isControl(r) {
			clean = false
			break
		}
	}
	if clean {
		return text
	}
	var b strings.Builder
	for _, r := range text {
		if isControl(r) {
			switch {
			case r == 0x1b:
				b.WriteString(`\e`)
			case r == '\r':
				b.WriteString(`\r`)
			case r > 0xff:
				fmt.Fprintf(&b, `\u%04x`, r)
			default:
				fmt.Fprintf(&b, `\x%02x`, r)
			}
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// isControl reports whether r acts on a terminal or reorders the text
// around it: C0 controls but newline and tab, DEL, C1 controls, and the
// bidirectional embeddings, overrides, isolates and marks (the "Trojan
// Source" set: U+202A..U+202E, U+2066..U+2069, U+200E, U+200F, U+061C).
func isControl(r rune) bool {
	if r == '\n' || r == '\t' {
		return false
	}
	return r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) ||
		r == 0x200e || r == 0x200f || r == 0x061c
}

// color wraps text in an ANSI colour when colour is on.
func (s *streams) color(code, text string) string {
	if !s.Color {
		return text
	}
	return "\x1b[" + code + "m" + text + "\x1b[0m"
}
