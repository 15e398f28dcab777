#!/usr/bin/python3
"""seq2seq_reference.py: an independent NumPy implementation of attnlab's
RNN seq2seq model (Elman and GRU cells, the GRU in Cho et al.'s form and
in PyTorch's; the fixed bottleneck context or attention at every step),
checked against traces.

It runs seq2seq_traces (the C driver) to write one trace per case, then
for each trace takes only the inputs and parameters from it, reruns the
encoder and every decoder step in float64 with the code below, and
compares every traced tensor: names, ops, inputs, shapes and values. The
attention of a step is attention_reference.py's expect_head, imported.

    /usr/bin/python3 seq2seq_reference.py PATH/TO/seq2seq_traces
    /usr/bin/python3 seq2seq_reference.py --check TRACE.jsonl ...

Exits 1 if any tensor is missing, unexpected or differs, and 77 (skipped)
if NumPy is not installed.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import attention_reference as ar  # noqa: E402  (exits 77 itself without NumPy)

np = ar.np

BOS, EOS = 2, 3
GRU_PARAMS = ["w_x", "w_h", "b", "w_xz", "w_hz", "b_z", "w_xr", "w_hr", "b_r"]
# PyTorch's form has one more: the candidate's hidden bias, last.
GRU_PYTORCH_PARAMS = GRU_PARAMS + ["b_hn"]
GRU_PYTORCH_OPS = {"h": "gru_pytorch", "z": "gru_pytorch_update_gate",
                   "r": "gru_pytorch_reset_gate", "n": "gru_pytorch_candidate"}


def sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def cell_params(kind):
    """The parameter suffixes of a cell of kind, in the order traced."""
    if kind == "gru_pytorch":
        return GRU_PYTORCH_PARAMS
    return GRU_PARAMS if kind == "gru" else GRU_PARAMS[:3]


def pytorch_layout(p):
    """attnlab's parameters (x · W, d_in x d_h) in torch.nn.GRUCell's layout:
    weight_ih (3 d_h x d_in) and weight_hh (3 d_h x d_h) stack the gates in
    the order r, z, n and are applied as W · x; bias_ih and bias_hh stack
    the same way. attnlab keeps one bias per gate for z and r (PyTorch's two
    just add), so their hidden halves are 0; b_hn is bias_hh's n part."""
    zeros = np.zeros_like(p["b_r"])
    return {"weight_ih": np.vstack([p["w_xr"].T, p["w_xz"].T, p["w_x"].T]),
            "weight_hh": np.vstack([p["w_hr"].T, p["w_hz"].T, p["w_h"].T]),
            "bias_ih": np.hstack([p["b_r"], p["b_z"], p["b"]])[0],
            "bias_hh": np.hstack([zeros, zeros, p["b_hn"]])[0]}


def pytorch_gru_step(x_t, h, torch_p):
    """One step of torch.nn.GRUCell as PyTorch documents it, on row vectors:
        r = σ(W_ir x + b_ir + W_hr h + b_hr)
        z = σ(W_iz x + b_iz + W_hz h + b_hz)
        n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn))
        h' = (1 − z) ⊙ n + z ⊙ h
    computed the way PyTorch does: both stacked products, then split."""
    d_h = h.shape[1]
    gi = x_t @ torch_p["weight_ih"].T + torch_p["bias_ih"]
    gh = h @ torch_p["weight_hh"].T + torch_p["bias_hh"]
    i_r, i_z, i_n = gi[:, :d_h], gi[:, d_h:2 * d_h], gi[:, 2 * d_h:]
    h_r, h_z, h_n = gh[:, :d_h], gh[:, d_h:2 * d_h], gh[:, 2 * d_h:]
    r = sigmoid(i_r + h_r)
    z = sigmoid(i_z + h_z)
    n = np.tanh(i_n + r * h_n)
    return (1 - z) * n + z * h, z, r, n


class Pass:
    def __init__(self, cfg, traced):
        self.cfg, self.traced, self.exp = cfg, traced, ar.Expected()
        self.cfg["temperature"] = 1.0

    def given(self, name, op="given", data=None):
        self.exp.given(name, op, data)
        return ar.values(self.traced[name])

    def computed(self, name, data, op, inputs):
        self.exp.computed(name, data, op, inputs)
        return data

    def cell(self, out, params, x, x_name, h0, h0_name, labels_from=None):
        """Run the cell over the rows of x from h0 (rnn.h's formulas)."""
        gru = self.cfg["cell"] == "gru"
        pytorch = self.cfg["cell"] == "gru_pytorch"
        names = cell_params(self.cfg["cell"])
        p = {n: ar.values(self.traced[f"{params}.{n}"]) for n in names}
        torch_p = pytorch_layout(p) if pytorch else None
        inputs = [x_name, h0_name] + [f"{params}.{n}" for n in names]
        h, states, gates = h0, [], {"z": [], "r": [], "n": []}
        for x_t in x:
            x_t = x_t[None, :]
            if gru:
                z = sigmoid(x_t @ p["w_xz"] + h @ p["w_hz"] + p["b_z"])
                r = sigmoid(x_t @ p["w_xr"] + h @ p["w_hr"] + p["b_r"])
                n = np.tanh(x_t @ p["w_x"] + (r * h) @ p["w_h"] + p["b"])
                h = (1 - z) * n + z * h
                for key, value in (("z", z), ("r", r), ("n", n)):
                    gates[key].append(value)
            elif pytorch:
                h, z, r, n = pytorch_gru_step(x_t, h, torch_p)
                for key, value in (("z", z), ("r", r), ("n", n)):
                    gates[key].append(value)
            else:
                h = np.tanh(x_t @ p["w_x"] + h @ p["w_h"] + p["b"])
            states.append(h)
        states = np.vstack(states)
        self.computed(f"{out}.h", states, self.cfg["cell"], inputs)
        if gru:
            for key, op in (("z", "gru_update_gate"), ("r", "gru_reset_gate"),
                            ("n", "gru_candidate")):
                self.computed(f"{out}.{key}", np.vstack(gates[key]), op, inputs)
        if pytorch:
            for key in ("z", "r", "n"):
                self.computed(f"{out}.{key}", np.vstack(gates[key]), GRU_PYTORCH_OPS[key],
                              inputs)
        return states

    def params(self, prefix):
        names = cell_params(self.cfg["cell"])
        for n in names:
            self.given(f"{prefix}.{n}")

    def encoder(self):
        ids = self.given("s2s.enc.tokens")[0].astype(int)
        table = self.given("s2s.enc.embed.table")
        embed = self.computed("s2s.enc.embed", table[ids], "embedding_lookup",
                              ["s2s.enc.tokens", "s2s.enc.embed.table"])
        self.params("s2s.enc")
        init = self.given("s2s.enc.init")
        states = self.cell("s2s.enc", "s2s.enc", embed, "s2s.enc.embed", init, "s2s.enc.init")
        start = "s2s.dec.init" if self.cfg["attention"] else "s2s.context"
        self.computed(start, states[-1:], "take_row", ["s2s.enc.h"])
        return states, start

    def decoder(self, enc, start):
        attention, score = self.cfg["attention"], self.cfg["score"]
        self.params("s2s.dec")
        w_out, b_out = self.given("s2s.output.w"), self.given("s2s.output.b")
        ids = self.given("s2s.dec.tokens")[0].astype(int)
        embed = self.computed("s2s.dec.embed", self.given("s2s.dec.embed.table")[ids],
                              "embedding_lookup", ["s2s.dec.tokens", "s2s.dec.embed.table"])
        if ids[0] != BOS:
            raise ValueError(f"the decoder's first input is {ids[0]}, not <bos>")
        prev, prev_name = enc[-1:], start
        states, weights = [], []
        for t in range(len(ids)):
            p = f"s2s.step{t}"
            if attention:
                context = ar.expect_head(self.exp, self.traced, p, prev, enc, enc,
                                         (prev_name, "s2s.enc.h", "s2s.enc.h", None), None,
                                         self.cfg, kind=score, params="s2s.attn",
                                         out=f"{p}.context")
                weights.append(self.exp.tensors[f"{p}.weights"][0])
                context_name = f"{p}.context"
            else:
                context, context_name = enc[-1:], "s2s.context"
            x = self.computed(f"{p}.input", np.hstack([embed[t:t + 1], context]), "concat",
                              ["s2s.dec.embed", context_name])
            h = self.cell(p, "s2s.dec", x, f"{p}.input", prev, prev_name)
            readout = self.computed(f"{p}.readout", np.hstack([h, context]), "concat",
                                    [f"{p}.h", context_name])
            logits = self.computed(f"{p}.logits", readout @ w_out + b_out, "linear",
                                   [f"{p}.readout", "s2s.output.w", "s2s.output.b"])
            self.computed(f"{p}.probs", ar.softmax_rows(logits, 1.0), "softmax_rows",
                          [f"{p}.logits"])
            token = int(np.argmax(logits[0]))
            self.computed(f"{p}.next.token", np.array([[token]], dtype=np.float64), "argmax",
                          [f"{p}.logits"])
            if self.cfg["mode"] == "greedy" and t + 1 < len(ids) and ids[t + 1] != token:
                raise ValueError(f"step {t + 1} read {ids[t + 1]}, but step {t} chose {token}")
            states.append(h)
            prev, prev_name = h, f"{p}.h"
        steps = range(len(states))
        self.computed("s2s.dec.h", np.vstack(states), "stack_steps",
                      [f"s2s.step{t}.h" for t in steps])
        if attention:
            self.computed("s2s.alignment", np.vstack(weights), "stack_steps",
                          [f"s2s.step{t}.weights" for t in steps])


def check_trace(path):
    label = os.path.basename(path)
    header, traced, _ = ar.read_trace(path)
    cfg = dict(arg.split("=", 1) for arg in header["args"])
    cfg["attention"] = cfg["attention"] == "1"
    run = Pass(cfg, traced)
    try:
        enc, start = run.encoder()
        run.decoder(enc, start)
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
    return len(failures)


def main(argv):
    return ar.run_checks(argv, "seq2seq_reference", check_trace, __doc__)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
