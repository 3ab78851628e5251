package plot_test

import (
	"fmt"
	"math"

	"github.com/maskgit-go/maskgit/plot"
)

func ExampleChart() {
	var x, y []float64
	for i := 0; i <= 10; i++ {
		r := float64(i) / 10
		x, y = append(x, r), append(y, math.Cos(r*math.Pi/2))
	}
	img, err := plot.Chart{Title: "cosine schedule", XLabel: "r", YLabel: "γ(r)", Series: []plot.Series{{Name: "cosine", X: x, Y: y}}}.Render()
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(img.Bounds().Size())
	// Output: (640,420)
}
