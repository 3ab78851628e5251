"""Runs signatures of a SavedModel with TensorFlow Python, for Go tests.

Usage:  python scripts/savedmodel_run.py EXPORT_DIR INPUTS.json OUTPUTS.json

INPUTS.json maps signature -> input key -> {"dtype", "shape", "values"
(flat, C order)}. The model is loaded with tf.saved_model.load (tags
["serve"]); each signature is called on its inputs and OUTPUTS.json gets
signature -> output key -> {"dtype", "shape", "values"} (floats written
exactly: float32 values widened to float64). Used by savedmodel/export_test.go
to check that TensorFlow Python computes what the Go model does.
"""

import json
import sys

import numpy as np
import tensorflow as tf


def main():
    export_dir, in_path, out_path = sys.argv[1:4]
    with open(in_path) as f:
        inputs = json.load(f)
    loaded = tf.saved_model.load(export_dir, tags=["serve"])
    out = {}
    for sig, feeds in inputs.items():
        fn = loaded.signatures[sig]
        args = {k: tf.constant(np.array(v["values"], dtype=v["dtype"]).reshape(v["shape"])) for k, v in feeds.items()}
        res = fn(**args)
        out[sig] = {}
        for k, t in res.items():
            a = t.numpy()
            vals = a.ravel().tolist()
            out[sig][k] = {"dtype": a.dtype.name, "shape": list(a.shape), "values": vals}
    with open(out_path, "w") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
