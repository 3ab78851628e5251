"""Export a maskgit checkpoint's variables to an .npz (run with the TF venv).

    python bench/export_weights.py CHECKPOINT_PREFIX OUT.npz

Reads the checkpoint with TensorFlow's own reader (tf.train.load_checkpoint)
and writes every variable under its checkpoint name (e.g.
"transformer/block0/attn/query/kernel"), as float32/int NumPy arrays. The
PyTorch mirror (bench/mirror.py) loads these; it never parses TF files.
"""
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import tensorflow as tf


def main(argv):
    if len(argv) != 3:
        print(__doc__, file=sys.stderr)
        return 2
    prefix, out = argv[1], argv[2]
    if not os.path.exists(prefix + ".index"):
        print(f"export_weights: no checkpoint {prefix}.index", file=sys.stderr)
        return 2
    reader = tf.train.load_checkpoint(prefix)
    arrays = {}
    for name in sorted(reader.get_variable_to_shape_map()):
        if name.startswith("_CHECKPOINTABLE") or name == "global_step":
            continue
        arrays[name] = np.asarray(reader.get_tensor(name))
    tmp = out + ".tmp.npz"
    np.savez(tmp, **arrays)
    os.replace(tmp, out)
    print(f"{out}: {len(arrays)} arrays, {sum(a.size for a in arrays.values()):,} values")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
