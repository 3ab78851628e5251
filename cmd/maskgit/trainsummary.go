package main

import (
	"fmt"

	"github.com/maskgit-go/maskgit/train"
)

// tokenizerSummary is the last line of train-tokenizer. A run stopped
// (--stop-at) before its first validation reports no PSNR or best step.
func tokenizerSummary(res train.TokenizerResult, out string) string {
	switch {
	case res.BestStep < 0:
		return fmt.Sprintf("tokenizer: stopped at step %d, before the first validation (continue with --resume); run in %s", res.Step, out)
	case res.ValPSNR == 0 && res.ValL2 == 0:
		return fmt.Sprintf("tokenizer: stopped at step %d (no validation since the last --resume); best validation PSNR %.2f dB at step %d; run in %s",
			res.Step, res.BestPSNR, res.BestStep, out)
	}
	return fmt.Sprintf("tokenizer: %d steps, validation PSNR %.2f dB (l2 %.5f), best at step %d, %d codes used; run in %s",
		res.Step, res.ValPSNR, res.ValL2, res.BestStep, res.Used, out)
}

// transformerSummary is the last line of train, as tokenizerSummary.
func transformerSummary(res train.TransformerResult, out string) string {
	switch {
	case res.BestStep < 0:
		return fmt.Sprintf("transformer: stopped at step %d, before the first validation (continue with --resume); run in %s", res.Step, out)
	case res.ValLoss == 0 && res.ValAccuracy == 0:
		return fmt.Sprintf("transformer: stopped at step %d (no validation since the last --resume); best validation loss %.4f at step %d; run in %s",
			res.Step, res.BestLoss, res.BestStep, out)
	}
	return fmt.Sprintf("transformer: %d steps, validation loss %.4f, masked-token accuracy %.4f, best at step %d; run in %s",
		res.Step, res.ValLoss, res.ValAccuracy, res.BestStep, out)
}
