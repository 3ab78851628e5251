package main

import (
	"bytes"
	"context"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(context.Background(), args, &o, &e)
	return code, o.String(), e.String()
}

func TestCLIHelpAndErrors(t *testing.T) {
	cases := []struct {
		args     []string
		code     int
		contains string
	}{
		{nil, 0, "Commands:"},
		{[]string{"--help"}, 0, "version"},
		{[]string{"help", "version"}, 0, "maskgit version"},
		{[]string{"version"}, 0, "TensorFlow 2."},
		{[]string{"nope"}, 2, `unknown command "nope"`},
		{[]string{"help", "nope"}, 2, `unknown command "nope"`},
		{[]string{"version", "--bogus"}, 2, "unknown flag"},
		{[]string{"version", "extra"}, 2, "unexpected arguments"},
	}
	for _, c := range cases {
		code, out, errOut := runCLI(t, c.args...)
		if code != c.code {
			t.Errorf("%q: exit %d, want %d (stderr %q)", c.args, code, c.code, errOut)
		}
		if !strings.Contains(out+errOut, c.contains) {
			t.Errorf("%q: output %q lacks %q", c.args, out+errOut, c.contains)
		}
	}
}
