// Package maskgit is the library API for Go services that inpaint images
// with a maskgit model: Load a model once, call Inpaint from any number of
// goroutines, Close it at shutdown.
//
//	m, err := maskgit.Load("catfaces64.savedmodel", maskgit.Options{})
//	if err != nil { ... }
//	defer m.Close()
//	out, err := m.Inpaint(ctx, img, mask, maskgit.InpaintOptions{})
//
// Load takes what `maskgit export` writes (a TensorFlow SavedModel that
// carries the model's configuration and best decoding settings in
// assets.extra/maskgit.json; docs/savedmodel.md describes it) or a model
// directory as training and `maskgit bundle` write it. A SavedModel runs its
// own graph, and is refused when it holds ops that touch files or the
// system (savedmodel.UnsafeOps).
//
// Images are Model.Resolution() pixels square (64x64 for the shipped cat
// faces model); the mask has the same size and is read as the lab format:
// dark pixels (grey < 128) are the hole to fill, light pixels are kept. The
// known pixels of the result equal the input's. Errors caused by the input
// (sizes, an empty mask, bad settings) wrap ErrInput, so a server can answer
// them with 400.
//
// This package is a thin layer over pipeline (batches, step strips,
// unconditional generation) and savedmodel (signatures by name); services
// that need those use the packages directly.
package maskgit
