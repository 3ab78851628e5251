package pipeline

import (
	"fmt"
	"strings"
)

// BFloat16Values are the values SetBFloat16 takes, as the --bf16 flag's
// help lists them.
const BFloat16Values = "all (or true), transformer, tokenizer, off (or false)"

// SetBFloat16 sets o.BFloat16Tokenizer and o.BFloat16Transformer from the
// value of a --bf16 flag: "all" or "true" (both parts), "transformer",
// "tokenizer", or "off" or "false" (neither; float32 everywhere). Case and
// surrounding space are ignored; anything else is an error naming the
// valid values.
//
// In bfloat16 the transformer's logits move by about 2% of their range
// (the shipped model: argmax unchanged at about 98% of masked positions)
// and the tokenizer's encoding picks another code for a few per cent of
// the tokens, so outputs differ slightly from float32. On a CPU without
// AVX512F TensorFlow leaves the graphs in float32; without AVX512_BF16 or
// AMX oneDNN emulates bfloat16, which is slower than float32.
func (o *Options) SetBFloat16(value string) error {
	switch strings.ToLower(strings.TrimSpace(value)) {
	case "all", "true":
		o.BFloat16Tokenizer, o.BFloat16Transformer = true, true
	case "transformer":
		o.BFloat16Tokenizer, o.BFloat16Transformer = false, true
	case "tokenizer":
		o.BFloat16Tokenizer, o.BFloat16Transformer = true, false
	case "off", "false":
		o.BFloat16Tokenizer, o.BFloat16Transformer = false, false
	default:
		return fmt.Errorf("bfloat16 %q: want %s", value, BFloat16Values)
	}
	return nil
}

// BFloat16 names the parts o runs in bfloat16, as SetBFloat16 reads them:
// "all", "transformer", "tokenizer" or "off".
func (o Options) BFloat16() string {
	switch {
	case o.BFloat16Tokenizer && o.BFloat16Transformer:
		return "all"
	case o.BFloat16Transformer:
		return "transformer"
	case o.BFloat16Tokenizer:
		return "tokenizer"
	}
	return "off"
}
