// Package bench measures maskgit against a PyTorch mirror of the same
// models, side by side in one run (see bench/compare.sh and the
// "Side by side with PyTorch" section of docs/benchmarks.md).
//
// The Go half lives here and in cmd/benchgo, which bench/compare.py calls
// once per measurement, alternating with the PyTorch half
// (bench/torch_bench.py), so that both see the same machine load:
//
//   - Train times MVTM training steps of transformer.BuildTrain (AdamW,
//     gradient clipping, dropout, the cosine masking of train.MaskTokens)
//     on random tokens, for any transformer.Config;
//   - Inpaint times pipeline.Model.Inpaint (encode, T decoding steps,
//     decode, composite) on a batch of test images and their fixed masks,
//     and splits one decode into tokenizer, transformer and Go-side time
//     (benchgo inpaint --bf16 loads the model in bfloat16 mixed precision;
//     compare.py's inpaint-bf16 runs it against torch.autocast);
//   - Matmul times a plain float32 MatMul of two square variables: the
//     machine's practical peak for the GFLOP/s figures;
//   - Dump writes the shipped model's tokens, logits and reconstructions
//     for fixed inputs, which bench/check.py compares with the PyTorch
//     mirror loaded from the same checkpoints (1e-4);
//   - WriteTrainGraph writes the training graph's GraphDef and op names
//     (benchgo graph), which bench/profile_step.py runs with TensorFlow's
//     tracing to show where a step's time goes, per op.
//
// Everything here goes through the project's public APIs, so the numbers
// follow whatever the graphs become. Nothing runs in the default test
// suite but TestMirrorMatches, which skips unless the bench venv exists.
package bench
