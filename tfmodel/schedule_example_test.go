package tfmodel_test

import (
	"fmt"

	"github.com/maskgit-go/maskgit/tfmodel"
)

func ExampleStepLR() {
	sched, err := tfmodel.NewStepLR(0.1, 2, 0.5)
	if err != nil {
		fmt.Println(err)
		return
	}
	for step := 0; step < 6; step++ {
		fmt.Printf("%.4f ", sched.LR(step))
	}
	fmt.Println()
	// Output: 0.1000 0.1000 0.0500 0.0500 0.0250 0.0250
}

func ExampleWarmupCosine() {
	sched, err := tfmodel.NewWarmupCosine(1, 0, 4, 8)
	if err != nil {
		fmt.Println(err)
		return
	}
	for step := 0; step < 10; step++ {
		fmt.Printf("%.3f ", sched.LR(step))
	}
	fmt.Println()
	// Output: 0.250 0.500 0.750 1.000 1.000 0.854 0.500 0.146 0.000 0.000
}
