"""random_measurements.py: attnlab's seeded random numbers and lesson03's two
measurements (dot_variance.h) redone in NumPy, for trace_ops_reference.py.

The generator is PCG32 (O'Neill 2014, XSH RR output), written here from the
published algorithm: a 64-bit LCG state advanced by
state' = state · 6364136223846793005 + increment (mod 2^64), each output
permuting the old state. attnlab's uniform is the top 24 bits times 2^-24,
its normal Box-Muller on two uniforms, rounded to float32. A trace records
the generator's state and increment before the first draw (attrs rng_state
and rng_increment), so nothing here needs the seed or the stream.

To draw millions of numbers without a Python loop per number, the LCG is
jumped ahead: state_k = A_k · state_0 + C_k with A_k = M^k and
C_k = increment · (M^(k-1) + ... + 1), all mod 2^64, which NumPy's uint64
arithmetic gives for a whole block at once (it wraps modulo 2^64).
"""

import numpy as np

PCG_MULTIPLIER = 6364136223846793005
MASK64 = (1 << 64) - 1
BLOCK = 1 << 16           # outputs per NumPy step of the generator


class Pcg32:
    """A PCG32 generator from a recorded state and increment."""

    def __init__(self, state, increment):
        self.state, self.increment = state & MASK64, increment & MASK64
        a, c = 1, 0
        multipliers, offsets = [], []
        for _ in range(BLOCK):                 # A_k and C_k for k = 0 .. BLOCK-1
            multipliers.append(a)
            offsets.append(c)
            a, c = (a * PCG_MULTIPLIER) & MASK64, (c * PCG_MULTIPLIER + self.increment) & MASK64
        self.a = np.array(multipliers, dtype=np.uint64)
        self.c = np.array(offsets, dtype=np.uint64)
        self.a_block, self.c_block = a, c      # the jump of a whole block
        self.pending = np.zeros(0, dtype=np.uint32)

    def _block(self):
        """The next BLOCK outputs (32 bits each)."""
        old = self.a * np.uint64(self.state) + self.c      # the states before each output
        self.state = (self.a_block * self.state + self.c_block) & MASK64
        xorshifted = (((old >> np.uint64(18)) ^ old) >> np.uint64(27)) & np.uint64(0xFFFFFFFF)
        xorshifted = xorshifted.astype(np.uint32)
        rotation = (old >> np.uint64(59)).astype(np.uint32)
        left = (np.uint32(32) - rotation) & np.uint32(31)
        return (xorshifted >> rotation) | (xorshifted << left)

    def next(self, n):
        """The next n 32-bit outputs, in order."""
        parts, have = [self.pending], len(self.pending)
        while have < n:
            block = self._block()
            parts.append(block)
            have += len(block)
        joined = np.concatenate(parts)
        self.pending = joined[n:]
        return joined[:n]

    def uniform(self, n):
        """n floats in [0, 1): (output >> 8) · 2^-24, exact in float32."""
        return (self.next(n) >> np.uint32(8)).astype(np.float64) * 2.0 ** -24

    def normal(self, n):
        """n standard normals: u1 = 1 - uniform, u2 = uniform, drawn in turn;
        z = sqrt(-2 ln u1) cos(2 pi u2) in double, rounded to float32."""
        u = self.uniform(2 * n)
        u1, u2 = 1.0 - u[0::2], u[1::2]
        z = np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)
        return z.astype(np.float32).astype(np.float64)


def generator(attrs):
    """The generator a record's attrs describe."""
    if attrs.get("rng") != "pcg32":
        raise ValueError(f"generator {attrs.get('rng')!r}: only pcg32 is known")
    return Pcg32(int(attrs["rng_state"], 16), int(attrs["rng_increment"], 16))


def dot_variance(attrs):
    """2 x widths: the sample variance (n - 1) of q · k over `samples` pairs
    of d standard normals drawn q_0, k_0, q_1, k_1, ..., and of q · k / sqrt(d);
    the widths one after the other from one generator."""
    rng = generator(attrs)
    samples, widths = int(attrs["samples"]), [int(d) for d in attrs["widths"]]
    table = np.zeros((2, len(widths)))
    chunk = max(1, (1 << 20) // (2 * max(widths)))   # samples per draw from the generator
    for i, d in enumerate(widths):
        dots = []
        for start in range(0, samples, chunk):
            n = min(chunk, samples - start)
            qk = rng.normal(2 * d * n).reshape(n, d, 2)
            dots.append((qk[:, :, 0] * qk[:, :, 1]).sum(axis=1))
        dots = np.concatenate(dots)
        table[0, i] = np.var(dots, ddof=1)
        table[1, i] = np.var(dots / np.sqrt(d), ddof=1)
    return table


def softmax_largest(scores):
    """The largest weight of softmax of each row."""
    e = np.exp(scores - scores.max(axis=1, keepdims=True))
    return (e / e.sum(axis=1, keepdims=True)).max(axis=1)


def softmax_peak(attrs):
    """2 x widths: the mean over `draws` of the largest weight of
    softmax(q · K^T) and of softmax(q · K^T / sqrt(d)), each draw filling q
    (1 x d) and then K (keys x d) row by row with standard normals."""
    rng = generator(attrs)
    keys, draws = int(attrs["keys"]), int(attrs["draws"])
    widths = [int(d) for d in attrs["widths"]]
    table = np.zeros((2, len(widths)))
    for i, d in enumerate(widths):
        numbers = rng.normal(draws * (keys + 1) * d).reshape(draws, keys + 1, d)
        q, k = numbers[:, 0, :], numbers[:, 1:, :]
        scores = np.einsum("nd,nkd->nk", q, k)
        table[0, i] = softmax_largest(scores).mean()
        table[1, i] = softmax_largest(scores / np.sqrt(d)).mean()
    return table
