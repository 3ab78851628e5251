#!/usr/bin/env python3
"""Writes fid/inception/testdata/tiny.pt, a few-KB TorchScript archive, and
tiny_expected.json, the state dict the Go unpickler must recover from it.

The module exercises what pytorch-fid's TorchScript Inception uses (nested
modules, float32 parameters, int and int-list attributes, torch.jit._pickle
build_intlist) plus what a careful reader must get right: a transposed
(non-contiguous) buffer, a view with a storage offset sharing its storage,
float64 and int64 tensors, a 0-d tensor and a float attribute.

Run with PyTorch (no network needed):
    /work/cache/torchvenv/bin/python scripts/inception_tiny_pt.py
The Go test is fid/inception/torchscript_test.go.
"""
import json
import os
from typing import List

import torch

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "fid", "inception", "testdata")


class Leaf(torch.nn.Module):
    stride: int
    padding: List[int]
    scale: float

    def __init__(self, base: float):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.arange(24, dtype=torch.float32).reshape(2, 3, 2, 2) / 8 + base)
        self.beta = torch.nn.Parameter(torch.tensor([0.5, -1.5], dtype=torch.float32))
        self.stride = 2
        self.padding = [0, 3]
        self.scale = 1.25

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.beta.sum()


class Root(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.block = torch.nn.Sequential(Leaf(0.0), Leaf(-3.0))
        shared = torch.arange(10, dtype=torch.float32) * 0.25 - 1
        self.register_buffer("shared", shared)
        self.register_buffer("window", shared[3:7])  # storage offset 3, same storage
        self.register_buffer("transposed", (torch.arange(12, dtype=torch.float32).reshape(3, 4) - 5.5).t())
        self.register_buffer("doubles", torch.tensor([1.0 / 3, -2.5e-7, 1e10], dtype=torch.float64))
        self.register_buffer("longs", torch.tensor([[-(2**40), 7], [0, 2**33 + 1]], dtype=torch.int64))
        self.register_buffer("scalar", torch.tensor(3.5, dtype=torch.float32))
        self.count = 5

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.block(x) + self.window.sum() + self.count


def main():
    os.makedirs(OUT, exist_ok=True)
    m = torch.jit.script(Root().eval())
    assert not m.transposed.is_contiguous() and m.window.storage_offset() == 3
    torch.jit.save(m, os.path.join(OUT, "tiny.pt"))

    expected = {}
    for name, t in m.state_dict().items():
        expected[name] = {"dtype": str(t.dtype).removeprefix("torch."), "shape": list(t.shape),
                          "values": t.contiguous().reshape(-1).tolist()}
    for prefix, leaf in (("block.0.", m.block[0]), ("block.1.", m.block[1])):
        expected[prefix + "stride"] = {"dtype": "int64", "shape": [], "values": [leaf.stride]}
        expected[prefix + "padding"] = {"dtype": "int64", "shape": [2], "values": list(leaf.padding)}
        expected[prefix + "scale"] = {"dtype": "float64", "shape": [], "values": [leaf.scale]}
    expected["count"] = {"dtype": "int64", "shape": [], "values": [m.count]}
    with open(os.path.join(OUT, "tiny_expected.json"), "w") as f:
        json.dump({"torch": torch.__version__, "tensors": expected}, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
