package denoise_test

import (
	"fmt"
	"path/filepath"

	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/graphs/denoise"
	"github.com/maskgit-go/maskgit/tfmodel"
)

// The default denoiser's size and its first checkpoint keys.
func ExampleBuild() {
	g, err := denoise.Build(denoise.DefaultConfig(), 1)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(g.Vars.NumParams(), "trainable parameters")
	fmt.Println(len(g.Vars.All()), "variables, e.g.", g.Vars.Names()[:3])
	// Output:
	// 10323 trainable parameters
	// 67 variables, e.g. [denoiser/conv_in/bias denoiser/conv_in/kernel denoiser/conv_out/bias]
}

// Train on crops of the cat faces, save, and resume in a fresh trainer. It
// needs the shared data, so its output is not checked.
func ExampleTrainer() {
	dir, err := dataset.CatFacesDir()
	if err != nil {
		fmt.Println(err)
		return
	}
	cfg := denoise.DefaultConfig()
	folder, err := dataset.OpenFolder(filepath.Join(dir, "train"), dataset.FolderOptions{InMemory: true})
	if err != nil {
		fmt.Println(err)
		return
	}
	newTrainer := func(seed int64) (*denoise.Trainer, error) {
		it, err := folder.Iterator(dataset.IterOptions{BatchSize: 16, Seed: 1, Shuffle: true, Flip: true})
		if err != nil {
			return nil, err
		}
		crops, err := denoise.NewCrops(it, cfg.Crop, cfg.NoiseStd, 1)
		if err != nil {
			return nil, err
		}
		g, err := denoise.Build(cfg, seed)
		if err != nil {
			return nil, err
		}
		sched, err := tfmodel.NewWarmupCosine(3e-3, 3e-4, 20, 200)
		if err != nil {
			return nil, err
		}
		return denoise.NewTrainer(g, crops, sched, tfmodel.SessionOptions{Threads: 1})
	}

	tr, err := newTrainer(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer tr.Close()
	for i := 0; i < 100; i++ {
		if _, err := tr.Step(); err != nil {
			fmt.Println(err)
			return
		}
	}
	runDir := filepath.Join("runs", "denoise")
	if err := tr.Save(filepath.Join(runDir, fmt.Sprintf("ckpt-%d", tr.Steps()))); err != nil {
		fmt.Println(err)
		return
	}

	resumed, err := newTrainer(1)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer resumed.Close()
	if _, err := resumed.Resume(runDir); err != nil {
		fmt.Println(err)
		return
	}
	a, _ := tr.Step()
	b, _ := resumed.Step()
	fmt.Println("same loss after resuming:", a.Loss == b.Loss)
}
