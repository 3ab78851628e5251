package train

import (
	"github.com/maskgit-go/maskgit/dataset"
	"github.com/maskgit-go/maskgit/fid/imageio"
)

// OpenImages decodes every image under dir into memory at res×res with
// fid/imageio's PIL-identical decoder: the one encode, reconstruct, inpaint
// and fid use, so a model is trained on the pixels it is later given.
func OpenImages(dir string, res int, skipBad bool) (f *dataset.Folder, err error) {
	dec, err := imageio.NewDecoder()
	if err != nil {
		return nil, err
	}
	defer func() {
		if cerr := dec.Close(); err == nil && cerr != nil {
			f, err = nil, cerr
		}
	}()
	return dataset.OpenFolder(dir, dataset.FolderOptions{Resolution: res, InMemory: true, SkipBad: skipBad, Decoder: dec})
}
