#!/usr/bin/python3
"""attention_reference.py: an independent NumPy implementation of attnlab's
attention, checked against traces.

It runs attention_traces (the C driver) to write one trace per case, then
for each trace takes only the inputs and parameters (role "input"/"param")
from it, recomputes every intermediate in float64 with its own code below,
and compares every traced tensor: names, ops, inputs, shapes, the
positions of masked (null) entries, the values (within ATOL + RTOL * |b|),
the softmax row records and the warnings. Nothing here calls or imports
attnlab; it reads traces with json and computes with numpy.

    /usr/bin/python3 attention_reference.py PATH/TO/attention_traces
    /usr/bin/python3 attention_reference.py --check TRACE.jsonl ...

Prints one line per tensor with its largest difference; exits 1 if any
tensor is missing, unexpected or differs, and 77 (skipped, for meson) if
NumPy is not installed.
"""

import json
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
except ImportError:
    print("attention_reference: NumPy is not installed; skipping")
    sys.exit(77)

# float32 products of rows of up to 12 terms round within a few parts in
# 1e7 of the largest term; the C side chains up to five of them (q, scores,
# softmax, out, W_O) on values of order 1, so 1e-5 absolute plus 1e-5
# relative is a wide margin that still catches any wrong formula.
ATOL = 1e-5
RTOL = 1e-5
FLT_MAX = float(np.finfo(np.float32).max)


# ---- reading -----------------------------------------------------------------

def read_trace(path):
    """(header, {name: tensor record}, [softmax row records]) of one trace."""
    with open(path, encoding="utf-8") as f:
        lines = [json.loads(line) for line in f]
    header, records, end = lines[0], lines[1:-1], lines[-1]
    assert header["format"] == "attnlab-trace" and header["version"] == 1, path
    assert end["kind"] == "end" and end["records"] == len(records), f"{path}: truncated"
    tensors, rows = {}, []
    for r in records:
        if r["kind"] == "tensor":
            assert r["name"] not in tensors, f"{path}: {r['name']} twice"
            tensors[r["name"]] = r
        else:
            rows.append(r)
    return header, tensors, rows


def values(record):
    """A record's data as float64, masked (null) entries as -inf."""
    return np.array([[-np.inf if x is None else x for x in row] for row in record["data"]],
                    dtype=np.float64).reshape(record["shape"])


def config(header):
    """The case's settings from the header args ("kind=self", ...)."""
    cfg = dict(arg.split("=", 1) for arg in header["args"])
    for key in ("queries", "keys", "key_length", "d_model", "heads", "bias",
                "d_q", "d_k", "d_a", "d_v"):
        if key in cfg:
            cfg[key] = int(cfg[key])
    cfg["temperature"] = float(cfg["temperature"])
    return cfg


# ---- the maths, written from the chapter's formulas ---------------------------

def build_mask(cfg):
    """1 where query i may attend to key j, as attention_traces.c documents."""
    lq, lk = cfg["queries"], cfg["keys"]
    i, j = np.arange(lq)[:, None], np.arange(lk)[None, :]
    if cfg["mask"] == "causal":
        return (j <= i).astype(np.float64)
    if cfg["mask"] == "padding":
        return np.broadcast_to(j < cfg["key_length"], (lq, lk)).astype(np.float64)
    mask = np.ones((lq, lk))          # "given": last row all masked,
    mask[lq - 1, :] = 0               # key 0 hidden from every query but the first
    mask[1:, 0] = 0
    return mask


def apply_mask(scores, mask):
    return np.where(mask == 1, scores, -np.inf)


def softmax_rows(scores, temperature):
    """Each row: exp((s - max) / T) / sum; a row of only -inf gives zeros."""
    weights = np.zeros_like(scores)
    for i, row in enumerate(scores):
        if np.all(row == -np.inf):
            continue
        e = np.exp((row - row.max()) / temperature)
        weights[i] = e / e.sum()
    return weights


def normalize_sum(similarities):
    """Each row: s / sum(s), masked entries counting 0; a zero row stays 0."""
    s = np.where(similarities == -np.inf, 0.0, similarities)
    sums = s.sum(axis=1, keepdims=True)
    return np.divide(s, sums, out=np.zeros_like(s), where=sums > 0)


def distances(q, k):
    return np.sqrt(((k[None, :, :] - q[:, None, :]) ** 2).sum(axis=2))


def inverse_distance(q, k):
    """1 / ||k - q||; a row with a key at distance 0 (or so close that 1/d is
    not a float) gives those keys 1 and the rest -inf."""
    d = distances(q, k)
    exact = d * FLT_MAX < 1.0
    with np.errstate(divide="ignore"):
        scores = 1.0 / d
    for i in range(len(q)):
        if exact[i].any():
            scores[i] = np.where(exact[i], 1.0, -np.inf)
    return scores, exact.any(axis=1)


def gaussian(q, k, sigma):
    return np.exp(-distances(q, k) ** 2 / (2.0 * sigma * sigma))


def additive(q_proj, k_proj, v_a):
    """scores[i, j] = sum_a v_a[a] tanh(q_proj[i, a] + k_proj[j, a])"""
    return np.tanh(q_proj[:, None, :] + k_proj[None, :, :]) @ v_a[:, 0]


# ---- what each trace should hold ------------------------------------------------

class Expected:
    """name -> (data or None for a given tensor, op, inputs, has_warning)."""

    def __init__(self):
        self.tensors = {}
        self.softmax = {}   # weights name -> (scores that went in, temperature)

    def given(self, name, op="given", data=None):
        self.tensors[name] = (data, op, [], None)

    def computed(self, name, data, op, inputs, warning=False):
        self.tensors[name] = (data, op, inputs, warning)


def weights_step(exp, prefix, last, last_name, normalizer, temperature, traced):
    """The weights of one head, and the temperature tensor when T != 1."""
    empty_rows = False
    inputs = [last_name]
    if normalizer == "softmax":
        weights = softmax_rows(last, temperature)
        if temperature != 1.0:
            exp.given(f"{prefix}.temperature")
            inputs.append(f"{prefix}.temperature")
            assert values(traced[f"{prefix}.temperature"])[0, 0] == np.float32(temperature)
        exp.softmax[f"{prefix}.weights"] = (last, temperature)
        op = "softmax_rows"
    else:
        weights = normalize_sum(last)
        op = "normalize_sum"
    empty_rows = bool((weights == 0).all(axis=1).any())
    exp.computed(f"{prefix}.weights", weights, op, inputs, warning=empty_rows)
    return weights


def expect_head(exp, traced, prefix, q, k, v, names, mask, cfg, kind="scaled_dot",
                normalizer="softmax", params=None, out=None):
    """One head: scores, scaled, masked, weights, out (as al_attend). The
    score's matrices are under params (default prefix: al_attend's
    names.params) and the output is called out (default prefix.out)."""
    q_name, k_name, v_name, mask_name = names
    pp = params or prefix
    exact_rows = None
    if kind in ("dot", "scaled_dot"):
        scores, inputs, op = q @ k.T, [q_name, k_name], "matmul_bt"
    elif kind == "general":
        exp.given(f"{pp}.w_a")
        q_proj = q @ values(traced[f"{pp}.w_a"])
        exp.computed(f"{prefix}.q_proj", q_proj, "matmul", [q_name, f"{pp}.w_a"])
        scores, inputs, op = q_proj @ k.T, [f"{prefix}.q_proj", k_name], "matmul_bt"
    elif kind == "additive":
        for p in ("w_q", "w_k", "v_a"):
            exp.given(f"{pp}.{p}")
        q_proj = q @ values(traced[f"{pp}.w_q"])
        k_proj = k @ values(traced[f"{pp}.w_k"])
        exp.computed(f"{prefix}.q_proj", q_proj, "matmul", [q_name, f"{pp}.w_q"])
        exp.computed(f"{prefix}.k_proj", k_proj, "matmul", [k_name, f"{pp}.w_k"])
        scores = additive(q_proj, k_proj, values(traced[f"{pp}.v_a"]))
        inputs = [f"{prefix}.q_proj", f"{prefix}.k_proj", f"{pp}.v_a"]
        op = "additive_scores"
    elif kind == "inverse_distance":
        scores, exact_rows = inverse_distance(q, k)
        inputs, op = [q_name, k_name], "inverse_distance"
    elif kind == "gaussian":
        exp.given(f"{prefix}.sigma")
        scores = gaussian(q, k, values(traced[f"{prefix}.sigma"])[0, 0])
        inputs, op = [q_name, k_name, f"{prefix}.sigma"], "gaussian_kernel"
    else:
        raise ValueError(kind)
    exp.computed(f"{prefix}.scores", scores, op, inputs,
                 warning=bool(exact_rows is not None and exact_rows.any()))
    last, last_name = scores, f"{prefix}.scores"
    if kind == "scaled_dot":
        last = scores / np.sqrt(k.shape[1])
        exp.computed(f"{prefix}.scaled", last, "scale", [last_name])
        last_name = f"{prefix}.scaled"
    if mask is not None:
        last = apply_mask(last, mask)
        exp.computed(f"{prefix}.masked", last, "apply_mask", [last_name, mask_name])
        last_name = f"{prefix}.masked"
    weights = weights_step(exp, prefix, last, last_name, normalizer, cfg["temperature"],
                           traced)
    result = weights @ v
    exp.computed(out or f"{prefix}.out", result, "matmul", [f"{prefix}.weights", v_name])
    return result


def expect_multihead(cfg, traced):
    """Self- or cross-attention: projections, heads, concat, W_O."""
    exp = Expected()
    cross = cfg["kind"] == "cross"
    p = "dec.0.cross_attn" if cross else "enc.0.attn"
    x_name = "dec.0.norm1" if cross else "x"
    m_name = "memory" if cross else x_name
    exp.given(x_name)
    if cross:
        exp.given(m_name)
    x, memory = values(traced[x_name]), values(traced[m_name])
    params = ["w_q", "w_k", "w_v", "w_o"] + (["b_q", "b_k", "b_v", "b_o"] if cfg["bias"] else [])
    for name in params:
        exp.given(f"{p}.{name}")
    mask = None
    if cfg["mask"] != "none":
        mask = build_mask(cfg)
        op = {"causal": "causal_mask", "padding": "padding_mask"}.get(cfg["mask"], "given")
        exp.given(f"{p}.mask", op, mask)

    def linear(out_name, source, source_name, w):
        y = source @ values(traced[f"{p}.{w}"])
        inputs = [source_name, f"{p}.{w}"]
        if cfg["bias"]:
            y = y + values(traced[f"{p}.b_{w[2]}"])
            inputs.append(f"{p}.b_{w[2]}")
        exp.computed(out_name, y, "linear" if cfg["bias"] else "matmul", inputs)
        return y

    q = linear(f"{p}.q", x, x_name, "w_q")
    k = linear(f"{p}.k", memory, m_name, "w_k")
    v = linear(f"{p}.v", memory, m_name, "w_v")
    heads, d_head = cfg["heads"], cfg["d_model"] // cfg["heads"]
    outs = []
    for h in range(heads):
        cols = slice(h * d_head, (h + 1) * d_head)
        hp = f"{p}.h{h}"
        for name, whole in (("q", q), ("k", k), ("v", v)):
            exp.computed(f"{hp}.{name}", whole[:, cols], "head_slice", [f"{p}.{name}"])
        outs.append(expect_head(exp, traced, hp, q[:, cols], k[:, cols], v[:, cols],
                                (f"{hp}.q", f"{hp}.k", f"{hp}.v", f"{p}.mask"), mask, cfg))
    concat = np.hstack(outs)
    exp.computed(f"{p}.concat", concat, "concat_heads", [f"{p}.h{h}.out" for h in range(heads)])
    linear(f"{p}.out", concat, f"{p}.concat", "w_o")
    return exp


def expect_single_head(cfg, traced):
    """One head from given q, k, v under the case's score and normaliser."""
    exp = Expected()
    for name in ("attn.q", "attn.k", "attn.v"):
        exp.given(name)
    mask = None
    if cfg["mask"] != "none":
        mask = build_mask(cfg)
        op = {"causal": "causal_mask", "padding": "padding_mask"}.get(cfg["mask"], "given")
        exp.given("attn.mask", op, mask)
    q, k, v = (values(traced[n]) for n in ("attn.q", "attn.k", "attn.v"))
    expect_head(exp, traced, "attn", q, k, v, ("attn.q", "attn.k", "attn.v", "attn.mask"),
                mask, cfg, kind=cfg["kind"], normalizer=cfg["normalizer"])
    return exp


# ---- comparing -----------------------------------------------------------------

def max_difference(actual, expected):
    """Largest |a - b| and whether every entry is within ATOL + RTOL |b|;
    -inf (masked) must sit in the same places in both."""
    masked_a, masked_b = actual == -np.inf, expected == -np.inf
    if not np.array_equal(masked_a, masked_b):
        return np.inf, False
    a, b = actual[~masked_a], expected[~masked_b]
    if a.size == 0:
        return 0.0, True
    diff = np.abs(a - b)
    return float(diff.max()), bool(np.all(diff <= ATOL + RTOL * np.abs(b)))


def check_record(label, name, record, want):
    """Failures (strings) for one tensor record against its expectation."""
    data, op, inputs, warning = want
    failures = []
    if record["op"] != op:
        failures.append(f"op is {record['op']!r}, expected {op!r}")
    if record["inputs"] != inputs:
        failures.append(f"inputs are {record['inputs']}, expected {inputs}")
    if warning is not None and bool(record.get("warnings")) != warning:
        wanted = "one" if warning else "none"
        failures.append(f"warnings {record.get('warnings')}, expected {wanted}")
    detail = "given"
    if data is not None:
        actual = values(record)
        if list(actual.shape) != list(data.shape):
            failures.append(f"shape {list(actual.shape)}, expected {list(data.shape)}")
        else:
            diff, ok = max_difference(actual, data)
            detail = f"maxdiff {diff:.3g}"
            if not ok:
                failures.append(f"values differ: maxdiff {diff:.3g} (or masked entries moved)")
    print(f"{label}: {name} {'OK' if not failures else 'FAIL'} {detail}")
    for failure in failures:
        print(f"    {failure}")
    return failures


def check_softmax_rows(label, rows, exp):
    """Each softmax row record against exp((s - max) / T), the sum, and weights."""
    failures = []
    by_name = {}
    for r in rows:
        by_name.setdefault(r["name"], []).append(r)
    for name, (scores, temperature) in exp.softmax.items():
        records = by_name.get(name, [])
        if len(records) != len(scores):
            failures.append(f"{name}: {len(records)} softmax row records for {len(scores)} rows")
            continue
        worst = 0.0
        for i, r in enumerate(records):
            row = scores[i]
            traced_scores = np.array([-np.inf if x is None else x for x in r["scores"]])
            all_masked = np.all(row == -np.inf)
            e = np.zeros_like(row) if all_masked else np.exp((row - row.max()) / temperature)
            total = e.sum()
            weights = e / total if total > 0 else e
            checks = [(traced_scores, row),
                      (np.array(r["exp"], dtype=np.float64), e),
                      (np.array([r["sum"]], dtype=np.float64), np.array([total])),
                      (np.array(r["weights"], dtype=np.float64), weights)]
            for actual, want in checks:
                diff, ok = max_difference(actual, want)
                worst = max(worst, diff)
                if not ok or r["row"] != i or r["temperature"] != np.float32(temperature):
                    failures.append(f"{name} row {i}: softmax row record differs")
                    break
            if (r["max"] is None) != bool(all_masked):
                failures.append(f"{name} row {i}: max {r['max']} but all masked is {all_masked}")
        verdict = "OK" if not failures else "FAIL"
        print(f"{label}: {name} softmax rows {verdict} maxdiff {worst:.3g}")
    return failures


def check_trace(path):
    """Recompute one trace; return the number of failures."""
    label = os.path.basename(path)
    header, traced, rows = read_trace(path)
    cfg = config(header)
    multihead = cfg["kind"] in ("self", "cross")
    try:
        exp = expect_multihead(cfg, traced) if multihead else expect_single_head(cfg, traced)
    except KeyError as missing:
        print(f"{label}: FAIL: tensor {missing} is missing, so the computation cannot be redone")
        return 1
    failures = []
    for name, want in exp.tensors.items():
        if name not in traced:
            print(f"{label}: {name} MISSING")
            failures.append(name)
            continue
        failures += check_record(label, name, traced[name], want)
    for name in traced:
        if name not in exp.tensors:
            print(f"{label}: {name} UNEXPECTED")
            failures.append(name)
    if header["level"] == "rows":
        failures += check_softmax_rows(label, rows, exp)
    return len(failures)


def run_checks(argv, name, check_trace, doc):
    """The main program every reference shares. With one argument, the
    trace writer: run it into a temporary folder and check every trace it
    wrote; with --check PATHS, check those traces. check_trace(path) returns
    its number of failures. Returns the exit status."""
    if len(argv) >= 2 and argv[1] == "--check":
        paths, folder = argv[2:], None
    elif len(argv) == 2:
        folder = tempfile.TemporaryDirectory(prefix=f"attnlab-{name}-")
        subprocess.run([argv[1], folder.name], check=True)
        paths = sorted(os.path.join(folder.name, f) for f in os.listdir(folder.name))
    else:
        print(doc)
        return 2
    if not paths:
        print(f"{name}: no traces to check")
        return 1
    failures = sum(check_trace(p) for p in paths)
    print(f"{name}: {len(paths)} traces, {failures} failures")
    if folder:
        folder.cleanup()
    return 1 if failures else 0


def main(argv):
    return run_checks(argv, "attention_reference", check_trace, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
