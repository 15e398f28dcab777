#!/usr/bin/env python3
"""make_render_traces.py: writes the sample traces the renderer tests draw
(tests/data/render_*.jsonl), in trace format v1 (traces/FORMAT.md).

Standard library only, so anyone can rerun it: `python3 make_render_traces.py`
in this folder rewrites the files byte for byte. The numbers come from a
seeded random.Random and a small attention computation done here in plain
Python; they are sample data for drawing, not golden values of the library.
Entries the tests look at are set by hand (see each function's docstring).
"""
import json
import math
import random

HERE = __file__.rsplit("/", 1)[0] if "/" in __file__ else "."


# ---- small matrix helpers (lists of rows) -------------------------------------

def matmul(a, b):
    return [[sum(a[i][p] * b[p][j] for p in range(len(b))) for j in range(len(b[0]))]
            for i in range(len(a))]


def transpose(a):
    return [list(col) for col in zip(*a)]


def scale(a, factor):
    return [[x * factor for x in row] for row in a]


def cols(a, start, stop):
    return [row[start:stop] for row in a]


def softmax_rows(a):
    """Softmax of each row; None (masked) entries get weight exactly 0."""
    out = []
    for row in a:
        top = max(x for x in row if x is not None)
        exps = [0.0 if x is None else math.exp(x - top) for x in row]
        total = sum(exps)
        out.append([e / total for e in exps])
    return out


def random_matrix(rng, rows, columns, spread=1.0):
    return [[rng.gauss(0, spread) for _ in range(columns)] for _ in range(rows)]


# ---- writing -------------------------------------------------------------------

def number(x):
    """Six significant digits: plenty for a picture, short in the file."""
    if x is None:
        return None
    value = float("%.6g" % x)
    return int(value) if value == int(value) and abs(value) < 1e6 else value


class Trace:
    def __init__(self, program, args, seed):
        self.header = {"format": "attnlab-trace", "version": 1, "program": program,
                       "args": args, "seed": seed, "library": "attnlab 0.1.0",
                       "level": "tensors", "filter": "*"}
        self.records = []

    def tensor(self, name, role, op, inputs, data, rows=None, cols=None, mask=None):
        record = {"kind": "tensor", "name": name, "role": role, "op": op, "inputs": inputs,
                  "shape": [len(data), len(data[0])], "rows": rows, "cols": cols,
                  "dtype": "float32", "data": [[number(x) for x in row] for row in data]}
        if mask:
            record["mask"] = mask
        self.records.append(record)
        return data

    def lines(self):
        end = {"kind": "end", "records": len(self.records)}
        return [json.dumps(r, ensure_ascii=False) for r in [self.header] + self.records + [end]]

    def write(self, filename, cut_after=None):
        lines = self.lines()
        if cut_after is not None:
            lines = lines[:cut_after]
        with open(f"{HERE}/{filename}", "w", encoding="utf-8", newline="\n") as f:
            f.write("".join(line + "\n" for line in lines))


def attention_layer(trace, prefix, x_name, x, tokens, rng, heads, d_model, causal=False,
                    kv_name=None, kv=None, kv_tokens=None):
    """One attention layer traced name by name as in traces/FORMAT.md:
    parameters, Q K V, per-head slices, scores, scaled, (mask, masked),
    weights, out, concat, out. Cross-attention when kv is given."""
    kv_name, kv, kv_tokens = (kv_name or x_name), (kv or x), (kv_tokens or tokens)
    d_head = d_model // heads
    w = {}
    for p in ("q", "k", "v", "o"):
        w[p] = trace.tensor(f"{prefix}.w_{p}", "param", "given", [],
                            random_matrix(rng, d_model, d_model, 0.6))
    q = trace.tensor(f"{prefix}.q", "activation", "matmul", [x_name, f"{prefix}.w_q"],
                     matmul(x, w["q"]), rows=tokens)
    k = trace.tensor(f"{prefix}.k", "activation", "matmul", [kv_name, f"{prefix}.w_k"],
                     matmul(kv, w["k"]), rows=kv_tokens)
    v = trace.tensor(f"{prefix}.v", "activation", "matmul", [kv_name, f"{prefix}.w_v"],
                     matmul(kv, w["v"]), rows=kv_tokens)
    mask = None
    if causal:
        mask = trace.tensor(f"{prefix}.mask", "input", "causal_mask", [],
                            [[1 if j <= i else 0 for j in range(len(kv_tokens))]
                             for i in range(len(tokens))], rows=tokens, cols=kv_tokens)
    outs = []
    for h in range(heads):
        hp = f"{prefix}.h{h}"
        sl = (h * d_head, (h + 1) * d_head)
        qh = trace.tensor(f"{hp}.q", "activation", "slice_cols", [f"{prefix}.q"], cols(q, *sl),
                          rows=tokens)
        kh = trace.tensor(f"{hp}.k", "activation", "slice_cols", [f"{prefix}.k"], cols(k, *sl),
                          rows=kv_tokens)
        vh = trace.tensor(f"{hp}.v", "activation", "slice_cols", [f"{prefix}.v"], cols(v, *sl),
                          rows=kv_tokens)
        scores = trace.tensor(f"{hp}.scores", "activation", "matmul_bt", [f"{hp}.q", f"{hp}.k"],
                              matmul(qh, transpose(kh)), rows=tokens, cols=kv_tokens)
        scaled = trace.tensor(f"{hp}.scaled", "activation", "scale", [f"{hp}.scores"],
                              scale(scores, 1 / math.sqrt(d_head)), rows=tokens, cols=kv_tokens)
        into_softmax = f"{hp}.scaled"
        if causal:
            scaled = trace.tensor(f"{hp}.masked", "activation", "mask",
                                  [f"{hp}.scaled", f"{prefix}.mask"],
                                  [[s if mask[i][j] else None for j, s in enumerate(row)]
                                   for i, row in enumerate(scaled)],
                                  rows=tokens, cols=kv_tokens, mask=f"{prefix}.mask")
            into_softmax = f"{hp}.masked"
        weights = trace.tensor(f"{hp}.weights", "activation", "softmax_rows", [into_softmax],
                               softmax_rows(scaled), rows=tokens, cols=kv_tokens)
        outs.append(trace.tensor(f"{hp}.out", "activation", "matmul",
                                 [f"{hp}.weights", f"{hp}.v"], matmul(weights, vh), rows=tokens))
    concat = trace.tensor(f"{prefix}.concat", "activation", "concat_cols",
                          [f"{prefix}.h{h}.out" for h in range(heads)],
                          [sum((o[i] for o in outs), []) for i in range(len(tokens))],
                          rows=tokens)
    return trace.tensor(f"{prefix}.out", "activation", "matmul",
                        [f"{prefix}.concat", f"{prefix}.w_o"], matmul(concat, w["o"]),
                        rows=tokens)


def embed(trace, tokens, rng, d_model, name="x"):
    return trace.tensor(name, "input", "given", [], random_matrix(rng, len(tokens), d_model),
                        rows=tokens)


# ---- the sample traces -----------------------------------------------------------

def sentence_trace():
    """A 12-token sentence with long tokens, one head: the label-layout test.
    Weight (0, 0) is set to 1 and the rest of row 0 to 0, so the top-left
    cell is the top of viridis and its neighbour the bottom."""
    tokens = ["The", "extraordinarily", "enthusiastic", "cat", "walks", "by", "the",
              "riverbank", "to", "find", "fish", "[SEP]"]
    trace = Trace("make_render_traces.py", ["sentence"], 12)
    rng = random.Random(12)
    x = embed(trace, tokens, rng, 8)
    attention_layer(trace, "enc.0.attn", "x", x, tokens, rng, heads=1, d_model=8)
    weights = next(r for r in trace.records if r["name"] == "enc.0.attn.h0.weights")
    weights["data"][0] = [1] + [0] * (len(tokens) - 1)
    trace.write("render_sentence.jsonl")
    return trace


def causal_trace():
    """The chapter's causal example: 'cat' sees only 'the' and itself.
    Two heads; masked scores are null, their weights exactly 0."""
    tokens = "the cat walks by the bank to find fish".split()
    trace = Trace("make_render_traces.py", ["causal"], 9)
    rng = random.Random(9)
    x = embed(trace, tokens, rng, 8)
    attention_layer(trace, "dec.0.self_attn", "x", x, tokens, rng, heads=2, d_model=8,
                    causal=True)
    trace.write("render_causal.jsonl")


def heads_trace():
    """'The cat walks by the bank', four heads, traced from the input x to
    the layer's output: every name and input edge the flow diagram draws."""
    tokens = "The cat walks by the bank".split()
    trace = Trace("make_render_traces.py", ["heads"], 6)
    rng = random.Random(6)
    x = embed(trace, tokens, rng, 8)
    attention_layer(trace, "enc.0.attn", "x", x, tokens, rng, heads=4, d_model=8)
    trace.write("render_heads.jsonl")


def cross_trace():
    """Cross-attention for the reordering example: target 'zone économique
    européenne' attends to source 'European Economic Area'. The weights are
    set by hand to show the reordering; probs is a 1 x 6 distribution for
    the bar chart."""
    source = ["European", "Economic", "Area", "</s>"]
    target = ["<s>", "zone", "économique", "européenne"]
    trace = Trace("make_render_traces.py", ["cross"], 4)
    rng = random.Random(4)
    enc = embed(trace, source, rng, 4, name="enc.out")
    dec = embed(trace, target, rng, 4, name="dec.0.norm1")
    attention_layer(trace, "dec.0.cross_attn", "dec.0.norm1", dec, target, rng, heads=1,
                    d_model=4, kv_name="enc.out", kv=enc, kv_tokens=source)
    weights = next(r for r in trace.records if r["name"] == "dec.0.cross_attn.h0.weights")
    weights["data"] = [[0.05, 0.05, 0.1, 0.8], [0.05, 0.1, 0.8, 0.05],
                       [0.1, 0.75, 0.1, 0.05], [0.8, 0.1, 0.05, 0.05]]
    trace.tensor("probs", "output", "softmax_rows", ["logits"],
                 [[0.5, 0.2, 0.12, 0.1, 0.05, 0.03]],
                 cols=["I", "you", "we", "can", "do", "what"])
    trace.write("render_cross.jsonl")


def layers_trace():
    """Two encoder layers of two heads, the second fed by the first's
    output: what --layers cuts."""
    tokens = "The cat walks".split()
    trace = Trace("make_render_traces.py", ["layers"], 2)
    rng = random.Random(2)
    x = embed(trace, tokens, rng, 4)
    out0 = attention_layer(trace, "enc.0.attn", "x", x, tokens, rng, heads=2, d_model=4)
    attention_layer(trace, "enc.1.attn", "enc.0.attn.out", out0, tokens, rng, heads=2,
                    d_model=4)
    trace.write("render_layers.jsonl")


def beam_trace():
    """A beam search of width 2 over three steps, as lesson11 traces one
    (beam.step<t>.scores: the kept sentences, best first, and the sum of
    their log p). '<s> a' leads after step 0 but its one continuation
    '<s> a c' is pruned at step 2; the best sentence is '<s> b d e'.
    """
    trace = Trace("make_render_traces.py", ["beam"], 0)
    steps = [[("<s> a", -0.5), ("<s> b", -1.0)],
             [("<s> a c", -0.8), ("<s> b d", -1.2)],
             [("<s> b d e", -1.3), ("<s> b d f", -2.0)]]
    for t, kept in enumerate(steps):
        trace.tensor(f"beam.step{t}.scores", "activation", "beam_search", ["bigrams"],
                     [[score] for _, score in kept], rows=[s for s, _ in kept], cols=["log p"])
    trace.write("render_beam.jsonl")


def broken_traces(sentence):
    """A trace cut short (no end record) and one with a broken JSON line."""
    sentence.write("render_truncated.jsonl", cut_after=5)
    lines = sentence.lines()
    lines[3] = lines[3][: len(lines[3]) // 2]
    with open(f"{HERE}/render_malformed.jsonl", "w", encoding="utf-8", newline="\n") as f:
        f.write("".join(line + "\n" for line in lines))


if __name__ == "__main__":
    broken_traces(sentence_trace())
    causal_trace()
    heads_trace()
    cross_trace()
    layers_trace()
    beam_trace()
