package main

import (
	"reflect"
	"strings"
	"testing"
)

// TestTFLogLevel checks the preinit function's choice of
// TF_CPP_MIN_LOG_LEVEL (the C code itself, through tfLogLevel).
func TestTFLogLevel(t *testing.T) {
	cases := []struct {
		args    []string
		cur     string
		present bool
		level   string
	}{
		{[]string{"maskgit", "version"}, "", false, "2"},
		{[]string{"maskgit", "version"}, "", true, "2"},
		{[]string{"maskgit", "version"}, "0", true, "2"},
		{[]string{"maskgit", "version"}, "1", true, "2"},
		{[]string{"maskgit", "version"}, "2", true, "2"},
		{[]string{"maskgit", "version"}, "3", true, "3"},
		{[]string{"maskgit", "version"}, "junk", true, "2"},
		{[]string{"maskgit", "version"}, "3x", true, "2"},
		{[]string{"maskgit", "inpaint", "--tf-log", "--model", "m"}, "2", true, "0"},
		{[]string{"maskgit", "--tf-log", "version"}, "", false, "0"},
		{[]string{"maskgit", "version", "--tf-log"}, "3", true, "0"},
		{[]string{"--tf-log", "version"}, "", false, "2"}, // argv[0] is the program, not a flag
		{[]string{"maskgit", "--tf-logs"}, "", false, "2"},
		{nil, "", false, "2"},
	}
	for _, c := range cases {
		if got := tfLogLevel(c.args, c.cur, c.present); got != c.level {
			t.Errorf("tfLogLevel(%q, %q, %v) = %q, want %q", c.args, c.cur, c.present, got, c.level)
		}
	}
}

func TestStripTFLog(t *testing.T) {
	cases := []struct{ args, rest []string }{
		{[]string{"version"}, []string{"version"}},
		{[]string{"inpaint", "--tf-log", "--model", "m"}, []string{"inpaint", "--model", "m"}},
		{[]string{"--tf-log", "version", "--tf-log"}, []string{"version"}},
		{[]string{"--tf-log"}, nil},
	}
	for _, c := range cases {
		if got := stripTFLog(c.args); !reflect.DeepEqual(got, c.rest) {
			t.Errorf("stripTFLog(%q) = %q, want %q", c.args, got, c.rest)
		}
	}
}

func TestFilterTFLog(t *testing.T) {
	in := "WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n" +
		"I0000 00:00:1796103947.677550   19029 port.cc:153] oneDNN custom operations are on.\n" +
		"I0000 00:00:1796103948.231829   19077 cpu_feature_guard.cc:227] This TensorFlow binary is optimized\n" +
		"To enable the following instructions: AVX2 FMA, in other operations, rebuild TensorFlow.\n" +
		"W0000 00:00:1796103948.244851   19077 mlir_graph_optimization_pass.cc:437] something\n" +
		"E0000 00:00:1796103948.244851   19077 some.cc:1] an error stays\n" +
		"maskgit inpaint: --model: no such directory\n" +
		"To enable the following is kept when not after a TF line\n" +
		"no newline at the end"
	var out strings.Builder
	if err := filterTFLog(&out, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	want := "E0000 00:00:1796103948.244851   19077 some.cc:1] an error stays\n" +
		"maskgit inpaint: --model: no such directory\n" +
		"To enable the following is kept when not after a TF line\n" +
		"no newline at the end"
	if out.String() != want {
		t.Errorf("filtered:\n%s\nwant:\n%s", out.String(), want)
	}
}
