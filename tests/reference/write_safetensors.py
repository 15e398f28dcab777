#!/usr/bin/env python3
"""Write a small safetensors file with Python's standard library only
(struct and json), as an independent writer for attnlab's reader to load.

    python3 write_safetensors.py OUT.safetensors

The tensors (test_safetensors.c checks every value):
  "enc.0.ffn.w1"  shape [2, 3]: element k (row by row) = 0.1 * (k + 1) - 0.25
  "enc.0.ffn.b1"  shape [3] (one dimension): 1.5, -2.0, 1e-30
  "extremes"      shape [1, 4]: -0.0, 3.4028234663852886e38 (the largest
                  float32), 1.401298464324817e-45 (the smallest denormal), 0.1
The data is written in a different order from the header (b1, extremes,
then w1), and the header is not padded: both are allowed by the format.
"""
import json
import struct
import sys


def float32_bytes(values):
    """Little-endian IEEE-754 float32, rounding each Python float to nearest."""
    return struct.pack("<%df" % len(values), *values)


def main(path):
    w1 = [0.1 * (k + 1) - 0.25 for k in range(6)]
    b1 = [1.5, -2.0, 1e-30]
    extremes = [-0.0, 3.4028234663852886e38, 1.401298464324817e-45, 0.1]

    data = b""
    offsets = {}
    for name, values in [("enc.0.ffn.b1", b1), ("extremes", extremes), ("enc.0.ffn.w1", w1)]:
        raw = float32_bytes(values)
        offsets[name] = [len(data), len(data) + len(raw)]
        data += raw

    header = {
        "__metadata__": {
            "family": "encoder-only",
            "d_model": "2",
            "vocab": json.dumps(["<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]", "café"]),
        },
        "enc.0.ffn.w1": {"dtype": "F32", "shape": [2, 3], "data_offsets": offsets["enc.0.ffn.w1"]},
        "enc.0.ffn.b1": {"dtype": "F32", "shape": [3], "data_offsets": offsets["enc.0.ffn.b1"]},
        "extremes": {"dtype": "F32", "shape": [1, 4], "data_offsets": offsets["extremes"]},
    }
    text = json.dumps(header, ensure_ascii=False).encode("utf-8")
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        out.write(data)


if __name__ == "__main__":
    main(sys.argv[1])
