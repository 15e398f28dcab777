#!/usr/bin/python3
"""trace_ops_reference.py: every record of a trace recomputed from the trace
alone, op by op, in NumPy.

For each tensor record whose op is not "given" or a mask (those are the
computation's inputs), it takes the records the record's "inputs" name and
its "attrs" (traces/FORMAT.md lists both for every op), recomputes the
tensor in float64 with the formula below, and compares it with the traced
float32 numbers: the same shape, nulls in the same places, every entry
within the tolerance. Softmax row records are checked against their
scores as attention_reference.py checks them. Nothing here imports or runs
attnlab: traces are read with json, the maths is NumPy's.

    /usr/bin/python3 trace_ops_reference.py TRACE.jsonl|FOLDER ...
    /usr/bin/python3 trace_ops_reference.py --writer PATH/TO/seq2seq_traces

A folder stands for every *.jsonl in it; --writer runs one of the C trace
writers of tests/reference into a temporary folder and checks what it wrote. Prints each failure, one summary
line per trace and a final line; exits 1 if any record differs, has an op
with no reference here, or names an input the trace does not hold (unless
the header's filter left it out: then the record is reported as not
checked), and 77 (skipped, for meson) if NumPy is not installed.
"""

import glob
import json
import os
import sys

try:
    import numpy as np
except ImportError:
    print("trace_ops_reference: NumPy is not installed; skipping")
    sys.exit(77)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_reference as ar  # noqa: E402
import random_measurements  # noqa: E402

# One op redone in float64 from float32 inputs differs from attnlab's
# float32 result by the rounding of that one op: half an ulp of the result
# (6e-8 relative) plus, for sums, the rounding of every partial sum. So
# every entry must satisfy
#     |a - b| <= ATOL + RTOL * |b| + TERMS_RTOL * terms,
# where terms is the size of what was summed into the entry (|x| · |W| for
# a product, 0 where nothing is summed): a cancelling entry near 0 keeps the
# rounding noise of its large terms. RTOL = 1e-5 is over a hundred float32
# ulps, room for the exp of a score divided by a temperature of 0.1 (its
# error grows with the argument). A float32 sum of K terms typically rounds
# within sqrt(K) ulps of their size, so TERMS_RTOL = 1e-6 (16 ulps) covers
# the widths here (K up to a few hundred). ATOL = 1e-6 covers entries that
# are 0 up to rounding. A wrong formula, index or parameter misses by far
# more, and so does a 1e-4 change to one number.
ATOL = 1e-6
RTOL = 1e-5
TERMS_RTOL = 1e-6
# Inputs rather than results: recorded as they were given, nothing to redo.
INPUT_OPS = {"given", "causal_mask", "padding_mask"}


class CannotRecompute(Exception):
    """A record the trace does not hold enough to redo."""


class Record:
    """One tensor record and the trace around it, for an op's formula."""

    def __init__(self, record, tensors):
        self.record, self.tensors = record, tensors
        self.attrs = record.get("attrs", {})
        self.shape = tuple(record["shape"])

    def inputs(self):
        return [ar.values(self.tensors[name]) for name in self.record["inputs"]]

    def attr(self, name):
        if name not in self.attrs:
            raise CannotRecompute(f"attr '{name}' is missing")
        return self.attrs[name]

    def int_attr(self, name):
        return int(self.attr(name))


def finite(m):
    """-inf (null, masked) counted as 0, for sums of magnitudes."""
    return np.where(np.isinf(m), 0.0, m)


# ---- the ops: each returns (expected, terms), terms None when nothing is summed --

def op_matmul(r):
    a, b = r.inputs()
    return a @ b, np.abs(a) @ np.abs(b)


def op_matmul_bt(r):
    a, b = r.inputs()
    return a @ b.T, np.abs(a) @ np.abs(b).T


def op_linear(r):
    x, w, b = r.inputs()
    return x @ w + b, np.abs(x) @ np.abs(w) + np.abs(b)


def op_linear_bt(r):
    x, w, b = r.inputs()
    return x @ w.T + b, np.abs(x) @ np.abs(w).T + np.abs(b)


def op_head_slice(r):
    (whole,) = r.inputs()
    h, d_head = r.int_attr("head"), r.int_attr("d_head")
    return whole[:, h * d_head:(h + 1) * d_head], None


def op_scale(r):
    (scores,) = r.inputs()
    return scores / np.sqrt(r.int_attr("d_k")), None


def op_additive_scores(r):
    q_proj, k_proj, v_a = r.inputs()
    terms = np.abs(np.tanh(q_proj[:, None, :] + k_proj[None, :, :])) @ np.abs(v_a[:, 0])
    return ar.additive(q_proj, k_proj, v_a), terms


def op_inverse_distance(r):
    q, k = r.inputs()
    return ar.inverse_distance(q, k)[0], None


def op_gaussian_kernel(r):
    q, k, sigma = r.inputs()
    return ar.gaussian(q, k, sigma[0, 0]), None


def op_apply_mask(r):
    scores, mask = r.inputs()
    return ar.apply_mask(scores, mask), None


def temperature_of(inputs):
    """The optional second input of a softmax: T (1 x 1)."""
    return inputs[1][0, 0] if len(inputs) > 1 else 1.0


def op_softmax_rows(r):
    inputs = r.inputs()
    return ar.softmax_rows(inputs[0], temperature_of(inputs)), None


def op_normalize_sum(r):
    (scores,) = r.inputs()
    return ar.normalize_sum(scores), None


def op_concat_heads(r):
    return np.hstack(r.inputs()), None


def op_add(r):
    inputs = r.inputs()
    return sum(inputs), sum(np.abs(m) for m in inputs)


def op_layer_norm(r):
    x, mean, var, gamma, beta, epsilon = r.inputs()
    return gamma * (x - mean) / np.sqrt(var + epsilon[0, 0]) + beta, None


def op_row_mean(r):
    (x,) = r.inputs()
    return x.mean(axis=1, keepdims=True), np.abs(x).mean(axis=1, keepdims=True)


def op_row_variance(r):
    x, mean = r.inputs()
    return ((x - mean) ** 2).mean(axis=1, keepdims=True), None


def op_relu(r):
    (x,) = r.inputs()
    return np.maximum(x, 0.0), None


def op_tanh(r):
    (x,) = r.inputs()
    return np.tanh(x), None


def op_embedding_lookup(r):
    ids, table = r.inputs()
    return table[ids[0].astype(int)], None


def positions(r):
    first = r.int_attr("first_position")
    return np.arange(first, first + r.shape[0], dtype=np.float64)


def op_sinusoidal(r):
    """PE[p][2i] = sin(p / base^(2i/d)), PE[p][2i+1] = cos(the same)."""
    d = r.shape[1]
    columns = np.arange(d)
    angle = positions(r)[:, None] / float(r.attr("base")) ** ((columns - columns % 2) / d)
    return np.where(columns % 2 == 0, np.sin(angle), np.cos(angle)), None


def op_one_hot(r):
    pe = np.zeros(r.shape)
    pe[np.arange(r.shape[0]), positions(r).astype(int)] = 1.0
    return pe, None


def op_learned_lookup(r):
    (table,) = r.inputs()
    return table[positions(r).astype(int)], None


def op_take_row(r):
    (m,) = r.inputs()
    row = r.int_attr("row")
    return m[row:row + 1], None


def op_argmax(r):
    """The lowest id of the largest logit (np.argmax takes the first)."""
    (logits,) = r.inputs()
    return np.array([[float(np.argmax(logits[-1]))]]), None


def op_concat(r):
    """[a ; b] side by side; attr row: only that row of a."""
    a, b = r.inputs()
    if "row" in r.attrs:
        a = a[r.int_attr("row"):r.int_attr("row") + 1]
    return np.hstack([a, b]), None


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def recurrence(r):
    """The states (and a GRU's gates) over the rows of x, from h_init."""
    inputs = r.inputs()
    x, h = inputs[0], inputs[1]
    pytorch = r.record["op"].startswith("gru_pytorch")
    if r.record["op"] == "elman":
        w_x, w_h, b = inputs[2:]
    elif pytorch:
        w_x, w_h, b, w_xz, w_hz, b_z, w_xr, w_hr, b_r, b_hn = inputs[2:]
    else:
        w_x, w_h, b, w_xz, w_hz, b_z, w_xr, w_hr, b_r = inputs[2:]
    rows = {"h": [], "z": [], "r": [], "n": []}
    for x_t in x:
        x_t = x_t[None, :]
        if r.record["op"] == "elman":
            h = np.tanh(x_t @ w_x + h @ w_h + b)
        else:
            z = sigmoid(x_t @ w_xz + h @ w_hz + b_z)
            reset = sigmoid(x_t @ w_xr + h @ w_hr + b_r)
            if pytorch:  # torch.nn.GRUCell: the reset gate scales the hidden product
                n = np.tanh(x_t @ w_x + b + reset * (h @ w_h + b_hn))
            else:        # Cho et al.: the reset gate scales the state
                n = np.tanh(x_t @ w_x + (reset * h) @ w_h + b)
            h = (1.0 - z) * n + z * h
            rows["z"].append(z)
            rows["r"].append(reset)
            rows["n"].append(n)
        rows["h"].append(h)
    return {k: np.vstack(v) for k, v in rows.items() if v}


def op_recurrence(which):
    def op(r):
        return recurrence(r)[which], None
    return op


def op_stack_steps(r):
    return np.vstack(r.inputs()), None


def op_row_distance(r):
    a, b = r.inputs()
    return np.sqrt(((a - b) ** 2).sum(axis=1))[None, :], None


def op_ratio(r):
    """d / d[f]; f < 0 (the states never part): all 0."""
    (d,) = r.inputs()
    f = r.int_attr("f")
    return (d / d[0, f] if f >= 0 else np.zeros_like(d)), None


def op_gather_row(r):
    row = r.int_attr("row")
    return np.vstack([m[row] for m in r.inputs()]), None


def op_row_max_abs_difference(r):
    before, after = r.inputs()
    return np.abs(after - before).max(axis=1, keepdims=True), None


def op_permute_rows(r):
    whole, order = r.inputs()
    return whole[order[0].astype(int)], None


def op_max(r):
    (scores,) = r.inputs()
    return scores.max(axis=1, keepdims=True), None


def op_subtract_max(r):
    inputs = r.inputs()
    return (inputs[0] - inputs[1]) / temperature_of(inputs[1:]), None


def op_exp(r):
    (shifted,) = r.inputs()
    return np.exp(shifted), None


def op_sum(r):
    (e,) = r.inputs()
    return e.sum(axis=1, keepdims=True), np.abs(e).sum(axis=1, keepdims=True)


def op_divide(r):
    e, total = r.inputs()
    return e / total, None


def op_log(r):
    """log p; null (-inf) where p is 0."""
    (p,) = r.inputs()
    with np.errstate(divide="ignore"):
        return np.log(p), None


def ranked(row):
    """Ids from the largest value down, the lower id first on a tie."""
    return sorted(range(len(row)), key=lambda v: (-row[v], v))


def op_top_k(r):
    (logits,) = r.inputs()
    kept = np.full_like(logits, -np.inf)
    for v in ranked(logits[0])[:r.int_attr("k")]:
        kept[0, v] = logits[0, v]
    return kept, None


def op_top_p(r):
    """The fewest most probable tokens whose mass reaches p, renormalised."""
    (probs,) = r.inputs()
    p, mass, kept = float(r.attr("p")), 0.0, []
    for v in ranked(probs[0]):
        if mass >= np.float32(p):
            break
        mass += probs[0, v]
        kept.append(v)
    out = np.zeros_like(probs)
    out[0, kept] = probs[0, kept] / mass
    return out, None


def op_cumulative_sum(r):
    (probs,) = r.inputs()
    return np.cumsum(probs, axis=1), np.cumsum(np.abs(probs), axis=1)


def op_roulette(r):
    """The first id whose running sum passes the draw; if rounding left the
    last sum at or below it, the last id whose sum still grew."""
    cumsum, draw = r.inputs()
    sums = cumsum[0]
    passed = np.nonzero(draw[0, 0] < sums)[0]
    if len(passed):
        return np.array([[float(passed[0])]]), None
    grew = np.nonzero(np.diff(np.concatenate([[0.0], sums])) > 0)[0]
    return np.array([[float(grew[-1] if len(grew) else 0)]]), None


def bigram_logits(table_record, prefix_last):
    """attnlab's bigram model (bigram.h): ids are the table's columns, then
    <bos>; the logits of the next token are the row labelled by the last
    token's word, and -inf for <bos>, which never comes next."""
    words = table_record["cols"] + ["<bos>"]
    row = table_record["rows"].index(words[prefix_last])
    return np.append(ar.values(table_record)[row], -np.inf), words


def op_beam_search(r):
    """beam_search.h rerun to step `step`: every unfinished beam extended by
    every token by log softmax (in double), finished ones carried over, the
    `width` best kept (a stable sort: the earlier beam, then the lower id,
    wins a tie). Compared: the scores; the labels are checked too."""
    if r.attr("model") != "bigram":
        raise CannotRecompute(f"model '{r.attr('model')}' is not in the trace")
    table = r.tensors[r.record["inputs"][0]]
    width, bos, eos = r.int_attr("width"), r.int_attr("bos"), r.int_attr("eos")
    beams = [([bos], 0.0)]
    for _ in range(r.int_attr("step") + 1):
        candidates = []
        for tokens, score in beams:
            if tokens[-1] == eos:
                candidates.append((tokens, score))
                continue
            logits, words = bigram_logits(table, tokens[-1])
            top = logits.max()
            log_probs = (logits - top) - np.log(np.exp(logits - top).sum())
            candidates += [(tokens + [v], score + log_probs[v])
                           for v in range(len(logits)) if logits[v] != -np.inf]
        beams = sorted(candidates, key=lambda c: -c[1])[:width]
    labels = [" ".join(words[t] for t in tokens) for tokens, _ in beams]
    if r.record["rows"] is not None and labels != r.record["rows"]:
        raise CannotRecompute(f"beams {labels}, but the record's rows are {r.record['rows']}")
    return np.array([[score] for _, score in beams]), None


def op_dot_variance(r):
    return random_measurements.dot_variance(r.attrs), None


def op_softmax_peak(r):
    return random_measurements.softmax_peak(r.attrs), None


# ---- a training step (FORMAT.md, "A training step") ------------------------------

def op_cross_entropy(r):
    logits, targets = r.inputs()
    rows = [i for i, t in enumerate(targets[0]) if t >= 0]
    if not rows:
        return np.zeros((1, 1)), None
    losses = []
    for i in rows:
        row = logits[i]
        top = row.max()
        losses.append(np.log(np.exp(row - top).sum()) + top - row[int(targets[0][i])])
    return np.array([[np.mean(losses)]]), None


def op_batch_loss(r):
    counted = [r.tensors[name].get("attrs", {}).get("counted") for name in r.record["inputs"]]
    if any(c is None for c in counted):
        raise CannotRecompute("a sequence's loss has no attr 'counted'")
    losses = [m[0, 0] for m in r.inputs()]
    return np.array([[sum(c * x for c, x in zip(counted, losses)) / sum(counted)]]), None


def op_lr_schedule(r):
    (step,) = r.inputs()
    t = step[0, 0]
    max_lr, min_lr = r.attr("max_lr"), r.attr("min_lr")
    warmup, total = r.attr("warmup"), r.attr("total")
    if warmup > 0 and t <= warmup:
        lr = max_lr * t / warmup
    elif total <= warmup:
        lr = max_lr
    elif t <= total:
        lr = min_lr + (max_lr - min_lr) * (1 + np.cos(np.pi * (t - warmup) / (total - warmup))) / 2
    else:
        lr = min_lr
    return np.array([[lr]]), None


def op_global_norm(r):
    return np.array([[np.sqrt(sum((m * m).sum() for m in r.inputs()))]]), None


def op_clip_scale(r):
    (norm,) = r.inputs()
    limit = r.attr("max_norm")
    n = norm[0, 0]
    return np.array([[1.0 if limit == 0 or n <= limit else limit / (n + 1e-6)]]), None


def op_adamw(r):
    p, grad, m, v, clip, lr, step = r.inputs()
    b1, b2 = r.attr("beta1"), r.attr("beta2")
    g = grad * clip[0, 0]
    t, rate = step[0, 0], lr[0, 0]
    m1 = b1 * m + (1 - b1) * g
    v1 = b2 * v + (1 - b2) * g * g
    new = p * (1 - rate * r.attr("weight_decay")) - rate / (1 - b1 ** t) * m1 / (
        np.sqrt(v1) / np.sqrt(1 - b2 ** t) + r.attr("epsilon"))
    return new, np.abs(p)


# Ops whose records this script cannot redo from their inputs alone: they
# are reported as not checked, with where they are checked instead.
ELSEWHERE = {
    "gradient": "a gradient is redone by train_reference.py --traced (and lesson13's by "
                "tests/test_lesson13.c, against finite differences)",
    "train_run": "what untraced training steps leave is not in the trace (FORMAT.md, "
                 "\"Lesson 13\")",
}


OPS = {
    "matmul": op_matmul, "matmul_bt": op_matmul_bt, "linear": op_linear,
    "linear_bt": op_linear_bt, "head_slice": op_head_slice, "scale": op_scale,
    "additive_scores": op_additive_scores, "inverse_distance": op_inverse_distance,
    "gaussian_kernel": op_gaussian_kernel, "apply_mask": op_apply_mask,
    "softmax_rows": op_softmax_rows, "softmax_temperature": op_softmax_rows,
    "normalize_sum": op_normalize_sum, "concat_heads": op_concat_heads, "add": op_add,
    "layer_norm": op_layer_norm, "row_mean": op_row_mean, "row_variance": op_row_variance,
    "relu": op_relu, "tanh": op_tanh, "embedding_lookup": op_embedding_lookup,
    "sinusoidal": op_sinusoidal, "one_hot": op_one_hot, "learned_lookup": op_learned_lookup,
    "take_row": op_take_row, "argmax": op_argmax, "concat": op_concat,
    "elman": op_recurrence("h"), "gru": op_recurrence("h"),
    "gru_update_gate": op_recurrence("z"), "gru_reset_gate": op_recurrence("r"),
    "gru_candidate": op_recurrence("n"), "gru_pytorch": op_recurrence("h"),
    "gru_pytorch_update_gate": op_recurrence("z"), "gru_pytorch_reset_gate": op_recurrence("r"),
    "gru_pytorch_candidate": op_recurrence("n"), "stack_steps": op_stack_steps,
    "row_distance": op_row_distance, "ratio": op_ratio, "gather_row": op_gather_row,
    "row_max_abs_difference": op_row_max_abs_difference, "permute_rows": op_permute_rows,
    "max": op_max, "subtract_max": op_subtract_max, "exp": op_exp, "sum": op_sum,
    "divide": op_divide, "log": op_log, "top_k": op_top_k, "top_p": op_top_p,
    "cumulative_sum": op_cumulative_sum, "roulette": op_roulette,
    "beam_search": op_beam_search, "dot_variance": op_dot_variance,
    "softmax_peak": op_softmax_peak, "cross_entropy": op_cross_entropy,
    "batch_loss": op_batch_loss, "lr_schedule": op_lr_schedule, "global_norm": op_global_norm,
    "clip_scale": op_clip_scale, "adamw": op_adamw,
}


# ---- comparing ------------------------------------------------------------------

def compare(actual, expected, terms):
    """None if actual agrees with expected, else a sentence saying where not."""
    if actual.shape != expected.shape:
        return f"shape {list(actual.shape)}, recomputed {list(expected.shape)}"
    masked_a, masked_b = np.isneginf(actual), np.isneginf(expected)
    if not np.array_equal(masked_a, masked_b):
        i, j = np.argwhere(masked_a != masked_b)[0]
        return f"null at ({i}, {j}) in one and not the other"
    terms = np.zeros(expected.shape) if terms is None else finite(terms)
    bound = ATOL + RTOL * np.abs(finite(expected)) + TERMS_RTOL * terms
    diff = np.where(masked_a, 0.0, np.abs(finite(actual) - finite(expected)))
    if np.all(diff <= bound):
        return None
    i, j = np.unravel_index(np.argmax(diff - bound), diff.shape)
    return (f"({i}, {j}) is {actual[i, j]:.9g}, recomputed {expected[i, j]:.9g}: "
            f"|difference| {diff[i, j]:.3g} > tolerance {bound[i, j]:.3g} "
            f"(atol {ATOL:g} + rtol {RTOL:g} x |b| + {TERMS_RTOL:g} x terms {terms[i, j]:.3g})")


def record_lines(path):
    """{tensor name: line number}, from 1, for the messages."""
    lines = {}
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, start=1):
            record = json.loads(line)
            if record.get("kind") == "tensor":
                lines[record["name"]] = number
    return lines


def check_record(record, tensors, header):
    """("ok" | "unchecked" | "fail", message or None) for one record."""
    op = record["op"]
    if op in ELSEWHERE:
        return "unchecked", f"not checked here: {ELSEWHERE[op]}"
    if op not in OPS:
        return "fail", f"no reference for op '{op}'"
    absent = [name for name in record["inputs"] if name not in tensors]
    if absent:
        if header["filter"] != "*":
            return "unchecked", (f"not checked: input {absent[0]} was left out by the "
                                 f"filter '{header['filter']}'")
        return "fail", f"input {absent[0]} is not in the trace"
    try:
        expected, terms = OPS[op](Record(record, tensors))
    except CannotRecompute as why:
        return "fail", f"cannot recompute: {why}"
    problem = compare(ar.values(record), np.asarray(expected, dtype=np.float64), terms)
    return ("fail", f"differs: {problem}") if problem else ("ok", None)


def softmax_inputs(tensors, rows):
    """What attention_reference.check_softmax_rows needs: {weights name:
    (the scores that went in, T)} for every softmax with row records."""
    class Softmaxes:
        softmax = {}
    for name in {r["name"] for r in rows}:
        record = tensors[name]
        inputs = [ar.values(tensors[n]) for n in record["inputs"]]
        Softmaxes.softmax[name] = (inputs[0], temperature_of(inputs))
    return Softmaxes


def check_trace(path):
    """Recompute every record of one trace; print failures and a summary;
    return the number of failures."""
    label = os.path.basename(path)
    header, tensors, rows = ar.read_trace(path)
    lines = record_lines(path)
    counts = {"ok": 0, "unchecked": 0, "fail": 0, "given": 0}
    for name, record in tensors.items():
        if record["op"] in INPUT_OPS:
            counts["given"] += 1
            continue
        verdict, message = check_record(record, tensors, header)
        counts[verdict] += 1
        if message:
            print(f"{'FAIL' if verdict == 'fail' else 'NOTE'} {message} "
                  f"({label}:{lines[name]}, {name})")
    softmax_failures = 0
    if rows:
        softmax_failures = len(ar.check_softmax_rows(label, rows, softmax_inputs(tensors, rows)))
    print(f"{label}: {counts['ok']} records recomputed, {counts['given']} given, "
          f"{counts['unchecked']} not checked (filtered, or checked elsewhere), "
          f"{counts['fail']} failures"
          + (f", {len(rows)} softmax rows, {softmax_failures} failures" if rows else ""))
    return counts["fail"] + softmax_failures


def trace_paths(arguments):
    """The traces named, a folder standing for its *.jsonl."""
    paths = []
    for argument in arguments:
        if os.path.isdir(argument):
            paths += sorted(glob.glob(os.path.join(argument, "*.jsonl")))
        else:
            paths.append(argument)
    return paths


def main(argv):
    if len(argv) < 2:
        print(__doc__)
        return 2
    if argv[1] == "--writer" and len(argv) == 3:
        return ar.run_checks([argv[0], argv[2]], "trace_ops_reference", check_trace, __doc__)
    return ar.run_checks([argv[0], "--check"] + trace_paths(argv[1:]), "trace_ops_reference",
                         check_trace, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
