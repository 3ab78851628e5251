package inpaint_test

import (
	"context"
	"fmt"

	"github.com/maskgit-go/maskgit/inpaint"
)

// Example decodes a 4×4 token grid over an 8-entry codebook whose bottom
// half is masked, with a toy model that favours class (x+y) mod 8 and is more
// confident further right. Argmax with temperature 0 draws no random numbers.
func Example() {
	cfg := inpaint.Config{
		GridW: 4, GridH: 4, K: 8, MaskID: 8,
		Steps: 4, Schedule: inpaint.Cosine, SaveSteps: true,
	}
	dec, err := inpaint.NewDecoder(cfg)
	if err != nil {
		fmt.Println(err)
		return
	}
	model := inpaint.PredictorFunc(func(_ context.Context, tokens []int32, batch int) ([]float32, error) {
		logits := make([]float32, batch*16*8)
		for b := 0; b < batch; b++ {
			for pos := 0; pos < 16; pos++ {
				x, y := pos%4, pos/4
				logits[(b*16+pos)*8+(x+y)%8] = float32(1 + x)
			}
		}
		return logits, nil
	})

	// An 8×8 pixel mask (2×2-pixel patches) with a hole in the bottom half.
	mask := inpaint.NewMask(8, 8)
	for p := 32; p < 64; p++ {
		mask.Hole[p] = true
	}
	masked, err := mask.TokenMask(4, 4, false)
	if err != nil {
		fmt.Println(err)
		return
	}
	tokens, _ := inpaint.MaskTokens([]int32{1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0}, masked, cfg.MaskID)
	fmt.Println("input: ", tokens)

	res, err := dec.Decode(context.Background(), model, []inpaint.Input{{Tokens: tokens}})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res[0].Steps {
		left := 0
		for _, m := range s.Masked {
			if m {
				left++
			}
		}
		fmt.Printf("step %d: %d masked\n", s.Step, left)
	}
	fmt.Println("output:", res[0].Tokens)
	// Output:
	// input:  [1 1 1 1 2 2 2 2 8 8 8 8 8 8 8 8]
	// step 0: 7 masked
	// step 1: 5 masked
	// step 2: 3 masked
	// step 3: 0 masked
	// output: [1 1 1 1 2 2 2 2 2 3 4 5 3 4 5 6]
}

// ExampleScheduleByName prints γ at the four steps of a 4-step decode.
func ExampleScheduleByName() {
	for _, name := range []string{"cosine", "linear", "square"} {
		g, err := inpaint.ScheduleByName(name)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("%-6s", name)
		for t := 1; t <= 4; t++ {
			fmt.Printf(" %.3f", g(float64(t)/4, 256))
		}
		fmt.Println()
	}
	_, err := inpaint.ScheduleByName("zigzag")
	fmt.Println(err)
	// Output:
	// cosine 0.924 0.707 0.383 0.000
	// linear 0.750 0.500 0.250 0.000
	// square 0.938 0.750 0.438 0.000
	// inpaint: unknown mask schedule "zigzag" (valid: cosine, cubic, exp, linear, log, sqrt, square)
}
