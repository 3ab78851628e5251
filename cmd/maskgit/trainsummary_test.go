package main

import (
	"strings"
	"testing"

	"github.com/maskgit-go/maskgit/train"
)

func TestTrainSummaries(t *testing.T) {
	cases := []struct {
		got       string
		want, not []string
	}{
		{tokenizerSummary(train.TokenizerResult{Step: 20, BestStep: -1}, "runs/tok"), []string{"step 20", "before the first validation", "--resume"}, []string{"PSNR", "-1"}},
		{tokenizerSummary(train.TokenizerResult{Step: 40, BestStep: 30, BestPSNR: 21.5}, "r"), []string{"step 40", "21.50 dB at step 30"}, []string{"0.00"}},
		{tokenizerSummary(train.TokenizerResult{Step: 50, ValPSNR: 22, ValL2: 0.01, BestStep: 50, Used: 9}, "r"), []string{"50 steps", "PSNR 22.00 dB", "best at step 50"}, nil},
		{transformerSummary(train.TransformerResult{Step: 7, BestStep: -1}, "runs/tr"), []string{"step 7", "before the first validation"}, []string{"loss", "-1"}},
		{transformerSummary(train.TransformerResult{Step: 9, BestStep: 5, BestLoss: 5.5}, "r"), []string{"5.5000 at step 5"}, []string{"0.0000"}},
		{transformerSummary(train.TransformerResult{Step: 9, ValLoss: 5.6, ValAccuracy: 0.06, BestStep: 9}, "r"), []string{"validation loss 5.6000", "best at step 9"}, nil},
	}
	for _, c := range cases {
		for _, w := range c.want {
			if !strings.Contains(c.got, w) {
				t.Errorf("%q lacks %q", c.got, w)
			}
		}
		for _, n := range c.not {
			if strings.Contains(c.got, n) {
				t.Errorf("%q has %q", c.got, n)
			}
		}
	}
}
