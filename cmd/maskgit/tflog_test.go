package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestTFLogPlan(t *testing.T) {
	cases := []struct {
		args    []string
		cur     string
		present bool
		rest    []string
		show    bool
		level   string
	}{
		{[]string{"version"}, "", false, []string{"version"}, false, "2"},
		{[]string{"version"}, "1", true, []string{"version"}, false, "2"},
		{[]string{"version"}, "3", true, []string{"version"}, false, "3"},
		{[]string{"version"}, "junk", true, []string{"version"}, false, "2"},
		{[]string{"inpaint", "--tf-log", "--model", "m"}, "2", true, []string{"inpaint", "--model", "m"}, true, "0"},
		{[]string{"--tf-log", "version"}, "", false, []string{"version"}, true, "0"},
	}
	for _, c := range cases {
		rest, show, level := tfLogPlan(c.args, c.cur, c.present)
		if !reflect.DeepEqual(rest, c.rest) || show != c.show || level != c.level {
			t.Errorf("tfLogPlan(%q, %q, %v) = %q, %v, %q; want %q, %v, %q", c.args, c.cur, c.present, rest, show, level, c.rest, c.show, c.level)
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
