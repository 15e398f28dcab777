#!/usr/bin/python3
"""transformer_reference.py: an independent NumPy implementation of a whole
Transformer forward pass (and of greedy generation), checked against
attnlab's traces.

It runs transformer_traces (the C driver) to write one trace per case,
then for each trace takes only the inputs and parameters (role "input" or
"param") from it, recomputes every intermediate in float64 with the code
below, layer after layer from the token ids up, and compares every traced
tensor: names, ops, inputs, shapes and values. One head of attention and
the comparison itself come from attention_reference.py, imported, not
copied. Nothing here calls attnlab.

    /usr/bin/python3 transformer_reference.py PATH/TO/transformer_traces
    /usr/bin/python3 transformer_reference.py --check TRACE.jsonl ...

Prints one line per tensor with its largest difference; exits 1 if any
tensor is missing, unexpected or differs, and 77 (skipped, for meson) if
NumPy is not installed.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_reference as ar  # noqa: E402  (exits 77 itself without NumPy)

np = ar.np

# The C side chains up to five layers of float32 products, softmaxes and
# layer norms, and each layer norm divides by a standard deviation that can
# be well below 1, enlarging the rounding error it is given. Over the ~2000
# tensors of these traces the largest difference measured is 4.7e-6; 5e-5
# absolute plus 5e-5 relative leaves a factor of ten for other CPUs'
# kernels, while a wrong formula (a missing bias, a wrong mask, a
# transposed weight) is off by orders of magnitude more.
ar.ATOL = 5e-5
ar.RTOL = 5e-5


def config(header):
    """The case from the header args ("family=encoder-only", "heads=2", ...)."""
    cfg = dict(arg.split("=", 1) for arg in header["args"])
    for key in ("d_model", "heads", "encoder_layers", "decoder_layers", "d_ff", "segments",
                "biases", "tied_output", "output_bias", "embedding_norm", "pooler",
                "generate"):
        cfg[key] = int(cfg[key])
    cfg["temperature"] = 1.0
    return cfg


class Pass:
    """Builds the expectations of one trace: given tensors are read from it,
    computed ones recomputed here and recorded with their op and inputs."""

    def __init__(self, cfg, traced):
        self.cfg, self.traced, self.exp = cfg, traced, ar.Expected()

    def given(self, name, op="given", data=None):
        self.exp.given(name, op, data)
        return ar.values(self.traced[name])

    def computed(self, name, data, op, inputs):
        self.exp.computed(name, data, op, [i for i in inputs if i is not None])
        return data

    # ---- layers -----------------------------------------------------------

    def linear(self, name, x, x_name, w_name, b_name, op=None):
        """x · W (+ b); op "matmul" or "linear" unless given."""
        y = x @ self.given(w_name)
        if b_name:
            y = y + self.given(b_name)
        return self.computed(name, y, op or ("linear" if b_name else "matmul"),
                             [x_name, w_name, b_name])

    def layer_norm(self, name, x, x_name):
        """gamma (x - mean) / sqrt(var + eps) + beta, each row; var divides by d."""
        gamma, beta = self.given(f"{name}.gamma"), self.given(f"{name}.beta")
        eps = self.given(f"{name}.epsilon")[0, 0]
        mean = x.mean(axis=1, keepdims=True)
        var = ((x - mean) ** 2).mean(axis=1, keepdims=True)
        self.computed(f"{name}.mean", mean, "row_mean", [x_name])
        self.computed(f"{name}.var", var, "row_variance", [x_name, f"{name}.mean"])
        y = gamma * (x - mean) / np.sqrt(var + eps) + beta
        return self.computed(name, y, "layer_norm",
                             [x_name, f"{name}.mean", f"{name}.var", f"{name}.gamma",
                              f"{name}.beta", f"{name}.epsilon"])

    def attention(self, p, xq, xq_name, xm, xm_name, causal):
        """Multi-head attention under prefix p: projections, heads, W_O."""
        bias = self.cfg["biases"]
        mask = None
        if causal:
            n = len(xq)
            mask = (np.arange(n)[None, :] <= np.arange(n)[:, None]).astype(np.float64)
            self.given(f"{p}.mask", "causal_mask", mask)
        b = (lambda w: f"{p}.b_{w}") if bias else (lambda w: None)
        q = self.linear(f"{p}.q", xq, xq_name, f"{p}.w_q", b("q"))
        k = self.linear(f"{p}.k", xm, xm_name, f"{p}.w_k", b("k"))
        v = self.linear(f"{p}.v", xm, xm_name, f"{p}.w_v", b("v"))
        heads, d_head = self.cfg["heads"], self.cfg["d_model"] // self.cfg["heads"]
        outs = []
        for h in range(heads):
            cols, hp = slice(h * d_head, (h + 1) * d_head), f"{p}.h{h}"
            for name, whole in (("q", q), ("k", k), ("v", v)):
                self.computed(f"{hp}.{name}", whole[:, cols], "head_slice", [f"{p}.{name}"])
            outs.append(ar.expect_head(self.exp, self.traced, hp, q[:, cols], k[:, cols],
                                       v[:, cols], (f"{hp}.q", f"{hp}.k", f"{hp}.v",
                                                    f"{p}.mask"), mask, self.cfg))
        concat = self.computed(f"{p}.concat", np.hstack(outs), "concat_heads",
                               [f"{p}.h{h}.out" for h in range(heads)])
        return self.linear(f"{p}.out", concat, f"{p}.concat", f"{p}.w_o", b("o"))

    def ffn(self, p, x, x_name):
        """max(0, x W1 + b1) W2 + b2; both products are "linear" with their
        biases and "matmul" without."""
        bias = self.cfg["biases"]
        pre = self.linear(f"{p}.pre_relu", x, x_name, f"{p}.w1", f"{p}.b1" if bias else None)
        hidden = self.computed(f"{p}.hidden", np.maximum(pre, 0.0), "relu", [f"{p}.pre_relu"])
        return self.linear(f"{p}.out", hidden, f"{p}.hidden", f"{p}.w2",
                           f"{p}.b2" if bias else None)

    def sublayer(self, layer, k, x, x_name, f):
        """Post-norm: norm_k = LN(x + F(x)). Pre-norm: add_k = x + F(LN(x))."""
        add, norm = f"{layer}.add{k}", f"{layer}.norm{k}"
        if self.cfg["norm"] == "pre":
            z = self.layer_norm(norm, x, x_name)
            out, out_name = f(z, norm)
            return self.computed(add, x + out, "add", [x_name, out_name]), add
        out, out_name = f(x, x_name)
        self.computed(add, x + out, "add", [x_name, out_name])
        return self.layer_norm(norm, x + out, add), norm

    # ---- the pass -----------------------------------------------------------

    def inputs(self, prefix):
        """tokens -> embed + pos (+ segment) -> x (-> embed_norm)."""
        ids = self.given(f"{prefix}tokens")[0].astype(int)
        n = len(ids)
        table = f"{prefix}embed.table"
        embed = self.computed(f"{prefix}embed", self.given(table)[ids], "embedding_lookup",
                              [f"{prefix}tokens", table])
        if self.cfg["positions"] == "learned":
            pos = self.computed(f"{prefix}pos", self.given(f"{prefix}pos.table")[:n],
                                "learned_lookup", [f"{prefix}pos.table"])
        else:
            p, i = np.arange(n)[:, None], np.arange(self.cfg["d_model"])[None, :]
            angle = p / 10000.0 ** ((i - i % 2) / self.cfg["d_model"])
            pos = self.computed(f"{prefix}pos", np.where(i % 2 == 0, np.sin(angle),
                                                         np.cos(angle)), "sinusoidal", [])
        x, terms = embed + pos, [f"{prefix}embed", f"{prefix}pos"]
        if self.cfg["segments"]:
            segment_ids = self.given(f"{prefix}segments")[0].astype(int)
            x = x + self.computed(f"{prefix}segment",
                                  self.given(f"{prefix}segment.table")[segment_ids],
                                  "embedding_lookup",
                                  [f"{prefix}segments", f"{prefix}segment.table"])
            terms.append(f"{prefix}segment")
        self.computed(f"{prefix}x", x, "add", terms)
        if self.cfg["embedding_norm"]:
            return self.layer_norm(f"{prefix}embed_norm", x, f"{prefix}x"), \
                f"{prefix}embed_norm"
        return x, f"{prefix}x"

    def encoder(self):
        x, name = self.inputs("")
        for l in range(self.cfg["encoder_layers"]):
            layer = f"enc.{l}"
            x, name = self.sublayer(layer, 1, x, name, lambda z, zn: (
                self.attention(f"{layer}.attn", z, zn, z, zn, False), f"{layer}.attn.out"))
            x, name = self.sublayer(layer, 2, x, name, lambda z, zn: (
                self.ffn(f"{layer}.ffn", z, zn), f"{layer}.ffn.out"))
        if self.cfg["norm"] == "pre":
            x, name = self.layer_norm("enc.norm", x, name), "enc.norm"
        return x, name

    def decoder(self, prefix, memory, memory_name):
        cross = memory is not None
        x, name = self.inputs(prefix + ("dec." if cross else ""))
        for l in range(self.cfg["decoder_layers"]):
            layer = f"{prefix}dec.{l}"
            x, name = self.sublayer(layer, 1, x, name, lambda z, zn: (
                self.attention(f"{layer}.self_attn", z, zn, z, zn, True),
                f"{layer}.self_attn.out"))
            if cross:
                x, name = self.sublayer(layer, 2, x, name, lambda z, zn: (
                    self.attention(f"{layer}.cross_attn", z, zn, memory, memory_name, False),
                    f"{layer}.cross_attn.out"))
            x, name = self.sublayer(layer, 3 if cross else 2, x, name, lambda z, zn: (
                self.ffn(f"{layer}.ffn", z, zn), f"{layer}.ffn.out"))
        if self.cfg["norm"] == "pre":
            x, name = self.layer_norm(f"{prefix}dec.norm", x, name), f"{prefix}dec.norm"
        return x, name

    def output(self, prefix, final, final_name, table):
        """logits = final W (+ b) or final Eᵀ (+ b); probs = softmax rows."""
        b = f"{prefix}logits.b" if self.cfg["output_bias"] else None
        if self.cfg["tied_output"]:
            logits = final @ self.given(table).T
            if b:
                logits = logits + self.given(b)
            self.computed(f"{prefix}logits", logits, "linear_bt" if b else "matmul_bt",
                          [final_name, table, b])
        else:
            logits = self.linear(f"{prefix}logits", final, final_name, f"{prefix}logits.w", b)
        probs = ar.softmax_rows(logits, 1.0)
        self.computed(f"{prefix}probs", probs, "softmax_rows", [f"{prefix}logits"])
        self.exp.softmax[f"{prefix}probs"] = (logits, 1.0)
        if self.cfg["family"] == "encoder-only":
            cls = self.computed(f"{prefix}cls", final[:1], "take_row", [final_name])
            if self.cfg["pooler"]:
                pre = self.linear(f"{prefix}pooler.pre_tanh", cls, f"{prefix}cls",
                                  f"{prefix}pooler.w", f"{prefix}pooler.b")
                self.computed(f"{prefix}pooler", np.tanh(pre), "tanh",
                              [f"{prefix}pooler.pre_tanh"])
        return logits

    def forward(self):
        family = self.cfg["family"]
        if family == "decoder-only":
            final, name = self.decoder("", None, None)
            table = "embed.table"
        else:
            final, name = self.encoder()
            table = "embed.table"
            if family == "encoder-decoder":
                final, name = self.decoder("", final, name)
                table = "dec.embed.table"
        self.output("", final, name, table)

    def generate(self):
        """Greedy steps: step t decodes <bos> y0 .. y(t-1) (or the prompt and
        what followed) under "step<t>." and picks the argmax of the last row."""
        family = self.cfg["family"]
        memory, memory_name = self.encoder() if family == "encoder-decoder" else (None, None)
        chosen = []
        for t in range(self.cfg["generate"]):
            prefix = f"step{t}."
            if f"{prefix}logits" not in self.traced:
                break
            inputs = prefix + ("dec." if memory is not None else "")
            ids = [int(i) for i in self.given(f"{inputs}tokens")[0]]
            start = ids[:len(ids) - len(chosen)]
            if (memory is not None and start != [2]) or ids[len(start):] != chosen:
                raise ValueError(f"{inputs}tokens are {ids}, not the start and {chosen}")
            final, name = self.decoder(prefix, memory, memory_name)
            logits = self.output(prefix, final, name, f"{inputs}embed.table")
            nxt = self.computed(f"{prefix}next.logits", logits[-1:], "take_row",
                                [f"{prefix}logits"])
            token = int(np.argmax(nxt[0]))
            self.computed(f"{prefix}next.token", np.array([[token]], dtype=np.float64),
                          "argmax", [f"{prefix}next.logits"])
            chosen.append(token)
            if token == 3:  # <eos>
                break


def check_trace(path):
    """Recompute one trace; return the number of failures."""
    label = os.path.basename(path)
    header, traced, rows = ar.read_trace(path)
    cfg = config(header)
    run = Pass(cfg, traced)
    try:
        run.generate() if cfg["generate"] else run.forward()
    except KeyError as missing:
        print(f"{label}: FAIL: tensor {missing} is missing, so the computation cannot be redone")
        return 1
    failures = []
    for name, want in run.exp.tensors.items():
        if name not in traced:
            print(f"{label}: {name} MISSING")
            failures.append(name)
            continue
        failures += ar.check_record(label, name, traced[name], want)
    for name in traced:
        if name not in run.exp.tensors:
            print(f"{label}: {name} UNEXPECTED")
            failures.append(name)
    if header["level"] == "rows":
        failures += ar.check_softmax_rows(label, rows, run.exp)
    return len(failures)


def main(argv):
    return ar.run_checks(argv, "transformer_reference", check_trace, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
