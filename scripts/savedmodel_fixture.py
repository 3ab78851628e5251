"""SavedModel fixtures written by TensorFlow Python, for the Go package savedmodel.

Writes, under savedmodel/testdata/ (read by savedmodel/fixture_test.go):
  - tf_affine/: a TF2 SavedModel (tf.saved_model.save of a tf.Module) with two
    signatures: "affine" (x float32 [None, 3] -> y = x @ w + b, with variables
    w [3, 2] and b [2]) and "count" (ids int32 [None] -> n = size(ids),
    doubled = 2 * ids);
  - tf_affine_golden.json: inputs and the outputs TF computed for them;
  - tf_readfile/: a SavedModel whose signature "read" runs ReadFile on a path
    given as input (path string [] -> contents string []): the loader must
    refuse it unless unsafe ops are allowed.

Run from the repo root:  third_party/venv/bin/python scripts/savedmodel_fixture.py
"""

import json
import os
import shutil

import numpy as np
import tensorflow as tf

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "savedmodel", "testdata")


class Affine(tf.Module):
    def __init__(self):
        super().__init__()
        self.w = tf.Variable(np.arange(6, dtype=np.float32).reshape(3, 2) / 4 - 0.5, name="w")
        self.b = tf.Variable(np.array([0.25, -1.0], dtype=np.float32), name="b")

    @tf.function(input_signature=[tf.TensorSpec([None, 3], tf.float32, name="x")])
    def affine(self, x):
        return {"y": tf.matmul(x, self.w) + self.b}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32, name="ids")])
    def count(self, ids):
        return {"n": tf.size(ids), "doubled": ids * 2}


class Reader(tf.Module):
    def __init__(self):
        super().__init__()
        self.v = tf.Variable(1.0, name="v")

    @tf.function(input_signature=[tf.TensorSpec([], tf.string, name="path")])
    def read(self, path):
        return {"contents": tf.io.read_file(path)}


def save(module, name, signatures):
    path = os.path.join(OUT, name)
    shutil.rmtree(path, ignore_errors=True)
    tf.saved_model.save(module, path, signatures=signatures)
    # Drop the fingerprint: it changes with every write and Go ignores it.
    fp = os.path.join(path, "fingerprint.pb")
    if os.path.exists(fp):
        os.remove(fp)


def main():
    os.makedirs(OUT, exist_ok=True)
    m = Affine()
    save(m, "tf_affine", {"affine": m.affine, "count": m.count})
    r = Reader()
    save(r, "tf_readfile", {"read": r.read})

    x = np.array([[1.0, 2.0, 3.0], [-0.5, 0.25, 4.0]], dtype=np.float32)
    ids = np.array([3, -1, 7, 0], dtype=np.int32)
    loaded = tf.saved_model.load(os.path.join(OUT, "tf_affine"))
    y = loaded.signatures["affine"](x=tf.constant(x))["y"].numpy()
    c = loaded.signatures["count"](ids=tf.constant(ids))
    golden = {
        "affine": {"x": x.ravel().tolist(), "x_shape": list(x.shape),
                   "y": [float(v) for v in y.ravel()], "y_shape": list(y.shape)},
        "count": {"ids": ids.tolist(), "n": int(c["n"].numpy()), "doubled": c["doubled"].numpy().tolist()},
    }
    with open(os.path.join(OUT, "tf_affine_golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
