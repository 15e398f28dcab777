#!/usr/bin/python3
"""train_speed_torch.py: PyTorch's side of the README's training-speed
comparison. It builds the model `attnlab-bench --train` times (decoder-only,
pre-norm, d_model 128, 4 heads, 2 layers, d_ff 512, V 1000, learned
positions, the output tied to the embeddings, biases everywhere), on one
thread (as attnlab runs), and times steps of forward, cross-entropy,
backward, clipping at norm 1 and AdamW on batches of 16 windows of 64
random tokens: the fastest of repeated runs of 10 steps, as attnlab-bench.

    /usr/bin/python3 src/tools/train_speed_torch.py [--threads N] [--bound-ms MS]

Needs Debian's python3-torch (PyTorch 1.13). Prints one line, as attnlab-bench --train
(which runs this script with --torch and passes --bound-ms)."""
import argparse
import os
import sys
import time

PARSER = argparse.ArgumentParser(description=__doc__.split("\n")[0])
PARSER.add_argument("--threads", type=int, default=1)
PARSER.add_argument("--bound-ms", type=float, help="the GEMM bound attnlab-bench measured")
ARGS = PARSER.parse_args()
# PyTorch's set_num_threads bounds its own thread pool but not OpenBLAS's,
# which otherwise starts one thread per core for every product: without
# these two lines "one thread" would run its products on two cores. They
# must be set before OpenBLAS is loaded, so before torch is imported.
os.environ["OPENBLAS_NUM_THREADS"] = str(ARGS.threads)
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

try:
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
except ImportError:
    sys.exit("train_speed_torch.py: needs PyTorch (apt-get install python3-torch)")

D, HEADS, LAYERS, V, CONTEXT, BATCH, STEPS = 128, 4, 2, 1000, 64, 16, 10


class Block(nn.Module):
    """x + attn(norm1(x)) under the causal mask, then + ffn(norm2(.))."""

    def __init__(self):
        super().__init__()
        self.norm1, self.norm2 = nn.LayerNorm(D), nn.LayerNorm(D)
        self.attn = nn.MultiheadAttention(D, HEADS, batch_first=True)
        self.ffn = nn.Sequential(nn.Linear(D, 4 * D), nn.ReLU(), nn.Linear(4 * D, D))

    def forward(self, x, mask):
        z = self.norm1(x)
        x = x + self.attn(z, z, z, attn_mask=mask, need_weights=False)[0]
        return x + self.ffn(self.norm2(x))


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.embed, self.pos = nn.Embedding(V, D), nn.Embedding(CONTEXT, D)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.norm = nn.LayerNorm(D)

    def forward(self, ids):
        mask = torch.triu(torch.ones(CONTEXT, CONTEXT, dtype=torch.bool), diagonal=1)
        x = self.embed(ids) + self.pos(torch.arange(CONTEXT))
        for block in self.blocks:
            x = block(x, mask)
        return self.norm(x) @ self.embed.weight.T  # tied output


def main():
    torch.set_num_threads(ARGS.threads)
    torch.manual_seed(42)
    model = Model()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    ids = torch.randint(6, V, (BATCH, CONTEXT + 1))
    inputs, targets = ids[:, :-1], ids[:, 1:]

    def ten_steps():
        for _ in range(STEPS):
            optimizer.zero_grad()
            logits = model(inputs)
            loss = F.cross_entropy(logits.reshape(-1, V), targets.reshape(-1))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()

    best, started, runs = float("inf"), time.monotonic(), 0
    while (runs < 3 and time.monotonic() - started < 3.0) or time.monotonic() - started < 0.25:
        t0 = time.monotonic()
        ten_steps()
        best = min(best, time.monotonic() - t0)
        runs += 1
    tokens, step_ms = STEPS * BATCH * CONTEXT, 1e3 * best / STEPS
    ratio = "  (%.2f x the bound)" % (step_ms / ARGS.bound_ms) if ARGS.bound_ms else ""
    print("  %-46s %8.1f ms %10.0f tokens/s%s" %
          ("PyTorch %s" % torch.__version__, step_ms, tokens / best, ratio))

if __name__ == "__main__":
    main()
