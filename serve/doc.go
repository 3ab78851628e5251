// Package serve is maskgit's HTTP inpainting service: a handler that
// decodes a multipart request (an image and its mask), queues it, batches
// concurrent requests with the same decoding settings into one
// pipeline.Model.Inpaint call, and answers with the inpainted PNG.
//
// Endpoints:
//
//	POST /v1/inpaint   multipart/form-data: "image" (PNG or JPEG, exactly
//	                   Resolution×Resolution pixels), "mask" (PNG, same
//	                   size, greyscale: below 128 = hole, as in
//	                   inpaint.MaskFromImage) and optional fields (also
//	                   accepted as URL query parameters): schedule,
//	                   total_iter, sweet_spot, temperature, seed, order,
//	                   sample, dilate, steps, composite (residual, hard
//	                   or none; see inpaint.CompositeMode), prefill
//	                   (harmonic or grey; see inpaint.PrefillMode). Any
//	                   other name is a 400.
//	                   Answer: image/png; with steps=1 a JSON object
//	                   {"image", "mask_strip", "step_strip": base64 PNGs,
//	                   "unknown_tokens", "batch_size"} (see StepsResponse).
//	GET  /healthz      JSON: status, resolution, schedules, limits.
//	GET  /             the single-page web client (HTML + JS embedded in
//	                   the binary, no external assets).
//
// Images must already be at the model's resolution: the server does not
// resize (the web page centre-crops and scales uploads in the browser). Every
// error is a JSON object {"error": message, "code": short-code}; bad input is
// always a 4xx (400 malformed, 405 wrong method, 413 body or pixel limit,
// 415 wrong content or image type, 422 valid but unusable, such as a wrong
// size or an out-of-range setting). A full queue (Config.QueueSize requests
// waiting besides the running batch) answers 503 with
// Retry-After, a request running past its timeout 503 "timeout", a server
// shutting down 503 "shutting_down" (so are the requests still running or
// queued when the shutdown's grace period runs out: their model call is
// cancelled).
//
// Batching: requests are grouped by their decoding settings (everything but
// the seed); a group is sent to the model when it holds Config.MaxBatch
// requests or its oldest request has waited Config.MaxWait. The seed does
// not split groups: every request is a job whose random stream is
// inpaint.NewImageRand(0, seed), so its result depends only on its own
// image, mask, settings and seed, not on what shares its batch — the result
// equals `maskgit inpaint --seed 0` for an image at index seed.
//
// The command `maskgit serve --model DIR --addr 127.0.0.1:8080` runs it,
// shutting down gracefully on SIGTERM or SIGINT.
package serve
