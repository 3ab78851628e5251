#!/usr/bin/env python3
"""TensorFlow-Python side of the tfmodel checkpoint interop tests.

Used by tfmodel/checkpoint_interop_test.go (which runs it with
$MASKGIT_VENV/bin/python) and to regenerate the committed golden checkpoint:

    third_party/venv/bin/python scripts/ckpt_interop.py --write tfmodel/testdata/ckpt_py

Options (all repeatable, combined in one run to pay TensorFlow's import once):

  --read PREFIX   read the V2 checkpoint at PREFIX with tf.train.load_checkpoint
  --latest DIR    tf.train.latest_checkpoint(DIR)
  --write DIR     write checkpoints from Python into DIR:
                    DIR/raw/model   tf.raw_ops.SaveV2, plus DIR/raw/checkpoint
                                    (tf.compat.v1.train.update_checkpoint_state)
                    DIR/v1/model    tf.compat.v1.train.Saver with explicit names
                    DIR/object/ckpt tf.train.Checkpoint.write (object-based keys,
                                    sharded save merged by MergeV2Checkpoints)
                  and DIR/expected.json: {"tensors": {REL_PREFIX: {NAME: {...}}},
                                          "list": {REL_PREFIX: [[NAME, DTYPE, SHAPE], ...]}}

Prints one JSON object:
  {"read":    {PREFIX: {NAME: {"dtype": "float32", "shape": [..], "values": [flat]}}},
   "latest":  {DIR: PATH or null},
   "written": {PREFIX: {NAME: {...}}},
   "list":    {PREFIX: [[NAME, DTYPE, SHAPE], ...]}}   # tf.train.list_variables + dtypes
"""

import argparse
import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

tf.get_logger().setLevel("ERROR")  # deprecation notices of update_checkpoint_state and Saver


def golden_tensors():
    """Deterministic tensors of the dtypes and shapes the tests cover."""
    rng = np.random.default_rng(20240601)
    return {
        "enc/conv/kernel": rng.normal(size=(2, 1, 3)).astype(np.float32),
        "enc/conv/bias": rng.normal(size=(3,)).astype(np.float32),
        "dec/proj": rng.normal(size=(2, 3)).astype(np.float64),
        "scale": np.float32(rng.normal()),
        "global_step": np.int64(2**53 + 1),  # not representable as a float64
        "dec/ids": np.array([-3, 0, 2**40 + 7, -(2**62)], dtype=np.int64),
    }


def describe(arr):
    arr = np.asarray(arr)
    return {
        "dtype": arr.dtype.name,
        "shape": list(arr.shape),
        "values": arr.reshape(-1).tolist(),
    }


def read_checkpoint(prefix):
    reader = tf.train.load_checkpoint(prefix)
    dtypes = reader.get_variable_to_dtype_map()
    out = {}
    for name in sorted(reader.get_variable_to_shape_map()):
        if dtypes[name] == tf.string:
            continue
        out[name] = describe(reader.get_tensor(name))
    return out


def list_checkpoint(prefix):
    dtypes = tf.train.load_checkpoint(prefix).get_variable_to_dtype_map()
    return [[name, dtypes[name].name, list(shape)] for name, shape in tf.train.list_variables(prefix)]


def write_checkpoints(out_dir):
    tensors = golden_tensors()
    names = sorted(tensors)
    written = {}

    raw = os.path.join(out_dir, "raw", "model")
    os.makedirs(os.path.dirname(raw), exist_ok=True)
    tf.raw_ops.SaveV2(
        prefix=raw,
        tensor_names=names,
        shape_and_slices=[""] * len(names),
        tensors=[tf.constant(tensors[n]) for n in names],
    )
    # TensorFlow writes relative paths when DIR is relative (as for the committed
    # golden files, which must work from any checkout), absolute ones otherwise.
    tf.compat.v1.train.update_checkpoint_state(os.path.dirname(raw), raw, all_model_checkpoint_paths=[raw])
    written[raw] = {n: describe(tensors[n]) for n in names}

    v1 = os.path.join(out_dir, "v1", "model")
    os.makedirs(os.path.dirname(v1), exist_ok=True)
    variables = {n: tf.Variable(tensors[n], name=n.replace("/", "_")) for n in names}
    saver = tf.compat.v1.train.Saver(var_list=variables, write_version=tf.compat.v1.train.SaverDef.V2)
    saver.save(None, v1, write_meta_graph=False, write_state=False)
    written[v1] = {n: describe(tensors[n]) for n in names}

    obj = os.path.join(out_dir, "object", "ckpt")
    ckpt = tf.train.Checkpoint(kernel=tf.Variable(tensors["enc/conv/kernel"]), step=tf.Variable(tensors["global_step"]))
    ckpt.write(obj)

    prefixes = [raw, v1, obj]
    expected = {
        "tensors": {os.path.relpath(p, out_dir): t for p, t in written.items()},
        "list": {os.path.relpath(p, out_dir): list_checkpoint(p) for p in prefixes},
    }
    with open(os.path.join(out_dir, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")
    return written, prefixes


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--read", action="append", default=[])
    ap.add_argument("--latest", action="append", default=[])
    ap.add_argument("--write", action="append", default=[])
    args = ap.parse_args()

    result = {"read": {}, "latest": {}, "written": {}, "list": {}}
    for d in args.write:
        written, prefixes = write_checkpoints(d)
        result["written"].update(written)
        for p in prefixes:
            result["list"][p] = list_checkpoint(p)
    for p in args.read:
        result["read"][p] = read_checkpoint(p)
        result["list"][p] = list_checkpoint(p)
    for d in args.latest:
        result["latest"][d] = tf.train.latest_checkpoint(d)
    json.dump(result, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
