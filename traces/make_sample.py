#!/usr/bin/env python3
"""make_sample.py: write traces/sample.jsonl, a hand-checkable trace of one
head of self-attention over three tokens, "The cat walks", for the quick
start and for tests, until lessons write real traces.

It is an independent reference, not part of attnlab: plain Python (standard
library only), every product worked out in float64 from the float32 inputs
of the step before and then rounded to float32, as FORMAT.md describes a
trace. Run from the top of the source tree:

    python3 traces/make_sample.py > traces/sample.jsonl

Shapes (L = 3 tokens, d_model = d_k = 4, one head h0):
    x (L x d_model) · W_Q (d_model x d_k) = q (L x d_k), likewise k and v
    scores (L x L) = q · kᵀ;  scaled = scores / sqrt(d_k) = scores / 2
    weights = softmax of each row of scaled;  out (L x d_k) = weights · v
"""

import json
import math
import struct
import sys
from fractions import Fraction

TOKENS = ["The", "cat", "walks"]

# Inputs and parameters, chosen by hand with one decimal each.
X = [[1.0, -0.4, 0.2, 1.6],
     [1.8, 0.8, -1.2, 0.6],
     [-0.6, 1.4, 1.0, -0.2]]
W_Q = [[0.6, -0.4, 0.2, 0.1],
       [0.3, 0.8, -0.5, 0.7],
       [-0.2, 0.1, 0.9, -0.3],
       [0.5, 0.2, 0.4, 0.6]]
W_K = [[0.7, 0.1, -0.3, 0.4],
       [-0.5, 0.6, 0.2, 0.3],
       [0.1, -0.2, 0.8, 0.5],
       [0.4, 0.9, -0.1, -0.6]]
W_V = [[0.2, 0.5, -0.7, 0.3],
       [0.8, -0.1, 0.4, 0.6],
       [-0.4, 0.3, 0.2, 0.9],
       [0.6, -0.8, 0.5, -0.2]]


# ---- float32 -------------------------------------------------------------

def to_float32(x):
    """The float32 nearest to the float64 x (round half to even), as a float."""
    return struct.unpack("<f", struct.pack("<f", x))[0]


def exact_float32(decimal_text):
    """The float32 nearest to the exact decimal value of the text, rounding
    straight from the decimal (no float64 on the way), half to even."""
    value = Fraction(decimal_text)
    if value == 0:
        return 0.0
    sign, magnitude = (-1 if value < 0 else 1), abs(value)
    exponent = magnitude.numerator.bit_length() - magnitude.denominator.bit_length()
    if Fraction(2) ** exponent > magnitude:
        exponent -= 1
    exponent = max(exponent, -126)  # below 2^-126 the step stays 2^-149
    step = Fraction(2) ** (exponent - 23)
    return sign * float(round(magnitude / step) * step)


def shortest(x):
    """The shortest decimal that gives back the float32 x both when parsed
    straight to float32 and when parsed to float64 and then rounded
    (FORMAT.md, "Numbers")."""
    for digits in range(1, 10):
        text = "%.*g" % (digits, x)
        if to_float32(float(text)) == x and exact_float32(text) == x:
            return text
    raise ValueError("no float32 decimal for %r" % x)


def float32_matrix(rows):
    return [[to_float32(value) for value in row] for row in rows]


# ---- the maths, one step per function --------------------------------------

def matmul(a, b):
    """a (m x k) · b (k x n), summed in float64, each entry rounded to float32."""
    return [[to_float32(sum(a[i][p] * b[p][j] for p in range(len(b))))
             for j in range(len(b[0]))] for i in range(len(a))]


def transpose(a):
    return [list(column) for column in zip(*a)]


def scale(a, factor):
    return [[to_float32(value * factor) for value in row] for row in a]


def softmax_row(scores):
    """The steps of a stable softmax at temperature 1: max, exp(s - max),
    their sum, and exp / sum, each rounded to float32."""
    largest = max(scores)
    exps = [to_float32(math.exp(s - largest)) for s in scores]
    total = to_float32(sum(exps))
    weights = [to_float32(e / total) for e in exps]
    return largest, exps, total, weights


# ---- writing the trace ---------------------------------------------------------

def numbers(values):
    return "[" + ", ".join(shortest(v) for v in values) + "]"


def tensor_line(name, role, op, inputs, data, rows=None, cols=None, note=None, attrs=None):
    fields = [
        '"kind": "tensor"',
        '"name": ' + json.dumps(name),
        '"role": ' + json.dumps(role),
        '"op": ' + json.dumps(op),
        '"inputs": ' + json.dumps(inputs),
    ]
    if attrs:
        fields.append('"attrs": ' + json.dumps(attrs))
    fields += [
        '"shape": [%d, %d]' % (len(data), len(data[0])),
        '"rows": ' + json.dumps(rows),
        '"cols": ' + json.dumps(cols),
        '"dtype": "float32"',
        '"data": [' + ", ".join(numbers(row) for row in data) + "]",
    ]
    if note:
        fields.append('"note": ' + json.dumps(note, ensure_ascii=False))
    return "{" + ", ".join(fields) + "}"


def softmax_row_line(name, row, scores):
    largest, exps, total, weights = softmax_row(scores)
    return ("{" + ", ".join([
        '"kind": "softmax_row"',
        '"name": ' + json.dumps(name),
        '"row": %d' % row,
        '"label": ' + json.dumps(TOKENS[row]),
        '"temperature": 1',
        '"scores": ' + numbers(scores),
        '"max": ' + shortest(largest),
        '"exp": ' + numbers(exps),
        '"sum": ' + shortest(total),
        '"weights": ' + numbers(weights),
    ]) + "}")


def main():
    x, w_q, w_k, w_v = (float32_matrix(m) for m in (X, W_Q, W_K, W_V))
    q, k, v = matmul(x, w_q), matmul(x, w_k), matmul(x, w_v)
    scores = matmul(q, transpose(k))
    scaled = scale(scores, 1 / math.sqrt(len(w_q[0])))
    weights = [softmax_row(row)[3] for row in scaled]
    out = matmul(weights, v)
    for row in weights:
        assert abs(sum(row) - 1) < 1e-6, row

    a = "enc.0.attn."
    h = a + "h0."
    lines = [
        '{"format": "attnlab-trace", "version": 1, "program": "traces/make_sample.py", '
        '"args": [], "seed": 0, "library": "none (Python reference, float64 rounded to float32)", '
        '"level": "rows", "filter": "*"}',
        tensor_line("tokens", "input", "given", [], [[0, 1, 2]], cols=TOKENS,
                    note="token ids in a three-word toy vocabulary"),
        tensor_line("x", "input", "given", [], x, rows=TOKENS,
                    note="one embedding per token (L = 3, d_model = 4); "
                         "no positional encoding in this sample"),
        tensor_line(a + "w_q", "param", "given", [], w_q, note="applied as x · W_Q"),
        tensor_line(a + "w_k", "param", "given", [], w_k, note="applied as x · W_K"),
        tensor_line(a + "w_v", "param", "given", [], w_v, note="applied as x · W_V"),
        tensor_line(a + "q", "activation", "matmul", ["x", a + "w_q"], q, rows=TOKENS,
                    note="Q = X · W_Q: one query per token"),
        tensor_line(a + "k", "activation", "matmul", ["x", a + "w_k"], k, rows=TOKENS,
                    note="K = X · W_K: one key per token"),
        tensor_line(a + "v", "activation", "matmul", ["x", a + "w_v"], v, rows=TOKENS,
                    note="V = X · W_V: one value per token"),
        tensor_line(h + "scores", "activation", "matmul_bt", [a + "q", a + "k"], scores,
                    rows=TOKENS, cols=TOKENS,
                    note="Q · Kᵀ: row i says how well query i matches each key "
                         "(one head, so h0 uses all of q and k)"),
        tensor_line(h + "scaled", "activation", "scale", [h + "scores"], scaled,
                    rows=TOKENS, cols=TOKENS, note="scores / sqrt(d_k) = scores / 2",
                    attrs={"d_k": len(w_q[0])}),
        tensor_line(h + "weights", "activation", "softmax_rows", [h + "scaled"], weights,
                    rows=TOKENS, cols=TOKENS, note="softmax of each row; each row sums to 1"),
    ]
    lines += [softmax_row_line(h + "weights", i, row) for i, row in enumerate(scaled)]
    lines.append(tensor_line(h + "out", "output", "matmul", [h + "weights", a + "v"], out,
                             rows=TOKENS, note="weights · V: each token's mix of the values"))
    lines.append('{"kind": "end", "records": %d}' % (len(lines) - 1))
    sys.stdout.write("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    main()
