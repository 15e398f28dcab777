#!/usr/bin/env python3
"""Read a safetensors file written by attnlab with Python's standard library
only (struct and json), the way a PyTorch or NumPy user's reader would, and
check it against the values test_safetensors.c wrote.

    python3 read_safetensors.py FILE.safetensors

Exits 0 if every check passes, else prints the first difference and exits 1.
The same reading code, without the checks, loads any attnlab model file:
each tensor comes out as a list of rows of floats (numpy:
numpy.frombuffer(raw, "<f4").reshape(shape); torch: torch.tensor(rows)).
"""
import json
import struct
import sys


def read_safetensors(path):
    """Return (metadata, {name: (shape, rows)}) and the header's length."""
    with open(path, "rb") as f:
        blob = f.read()
    (n,) = struct.unpack("<Q", blob[:8])
    header = json.loads(blob[8:8 + n].decode("utf-8"))
    data = blob[8 + n:]
    metadata = header.pop("__metadata__", {})
    tensors = {}
    for name, entry in header.items():
        assert entry["dtype"] == "F32", name
        begin, end = entry["data_offsets"]
        rows, cols = ([1] + entry["shape"])[-2:]  # a shape [d] is one row
        flat = struct.unpack("<%df" % (rows * cols), data[begin:end])
        tensors[name] = (entry["shape"], [list(flat[r * cols:(r + 1) * cols]) for r in range(rows)])
    return metadata, tensors, n


def f32(x):
    """x rounded to float32, as a Python float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def main(path):
    metadata, tensors, n = read_safetensors(path)
    expected = {
        "a": ([2, 3], [[-1.0, -0.5, 0.0], [0.5, 1.0, 1.5]]),
        "b": ([1, 4], [[f32(0.1), -0.0, f32(1e-45), f32(3.4028235e38)]]),
    }
    checks = [
        (n % 8 == 0, "header length %d is not a multiple of 8" % n),
        (list(tensors) == ["a", "b"], "tensor names %s" % list(tensors)),
        (metadata == {"note": "h\u00e9llo", "d_model": "3"}, "metadata %s" % metadata),
    ]
    for name, (shape, rows) in expected.items():
        got = tensors.get(name)
        checks.append((got is not None and got[0] == shape, "%s shape %s" % (name, got and got[0])))
        checks.append((got is not None and got[1] == rows, "%s values %s" % (name, got and got[1])))
    # -0.0 == 0.0 in Python; check the sign bit too
    if "b" in tensors:
        checks.append((struct.pack("<f", tensors["b"][1][0][1]) == b"\x00\x00\x00\x80",
                       "b[0][1] is not -0.0"))
    for ok, message in checks:
        if not ok:
            print("read_safetensors.py: " + message)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
