#!/usr/bin/python3
"""make_weights.py: writes the hand-made weights of data/lesson04/, an RNN
seq2seq model with attention whose alignment reorders "European Economic
Area" into "zone économique européenne". Standard library only; run it
from anywhere to rewrite the .txt files beside it (the same bytes every
time). The construction is explained in data/README.md and at the top of
every file it writes.

The idea in one sentence: the encoder writes into each state which word
it read and how far into the sentence it is; the decoder starts from the
encoder's last state and counts down, and its attention looks for the
source position it has counted down to, so it reads the source backwards,
which for "adjective adjective noun" is French word order; reaching the
<bos> the source starts with, it says <eos>.
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]"]
ENGLISH = ["european", "economic", "area", "central", "bank", "monetary", "union"]
FRENCH = {"european": "européenne", "economic": "économique", "area": "zone",
          "central": "centrale", "bank": "banque", "monetary": "monétaire",
          "union": "union"}
VOCAB = SPECIALS + ENGLISH + [w for w in dict.fromkeys(FRENCH.values()) if w not in ENGLISH]

POSITIONS = 5                       # sources of up to 5 tokens: <bos> and 4 words
CONTENT = ["bos"] + ENGLISH         # what a state says about the word it read
EMBED = CONTENT                     # a source word's vector: one-hot over these
STATE = CONTENT + [f"pos{i}" for i in range(POSITIONS)]
K = 3.0                             # tanh(3) = 0.995: "on", saturating
SHARPNESS = 10.0                    # the attention score of the position sought
GAIN = 6.0                          # additive score: tanh(±3) = ±0.995, a unit on or off
VOTE = 5.0                          # additive score: v_a, what each unit adds to the score
STRENGTH = 10.0                     # the logit of the translated word

D_E, D_H = len(EMBED), len(STATE)


def zeros(rows, cols):
    return [[0.0] * cols for _ in range(rows)]


def write(name, comment, row_labels, col_labels, matrix):
    lines = [f"# {line}".rstrip() for line in comment.strip().splitlines()]
    lines.append("columns: " + " ".join(col_labels))
    width = max(len(label) for label in row_labels)
    for label, row in zip(row_labels, matrix):
        numbers = " ".join(f"{x:g}".rjust(3) for x in row)
        lines.append(f"{label.ljust(width)}  {numbers}")
    with open(os.path.join(HERE, f"{name}.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def source_embeddings():
    m = zeros(len(VOCAB), D_E)
    for w in CONTENT:
        m[VOCAB.index("<bos>" if w == "bos" else w)][EMBED.index(w)] = 1.0
    write("s2s.enc.embed.table", """
Source word vectors (V x d_e): one-hot, one column per source word, and
<bos>, which every source starts with. Other rows are 0 (unused).""",
          VOCAB, EMBED, m)


def encoder():
    w_x = zeros(D_E, D_H)
    for i, w in enumerate(EMBED):
        w_x[i][STATE.index(w)] = K
    write("s2s.enc.w_x", f"""
Encoder W_x (d_e x d_h): the word read goes to its own column of the
state, times {K:g}, so tanh makes it 0.995: the state says which word it
just read (and forgets the one before: W_h below does not copy words).""",
          EMBED, STATE, w_x)
    w_h = zeros(D_H, D_H)
    for i in range(POSITIONS - 1):
        w_h[STATE.index(f"pos{i}")][STATE.index(f"pos{i + 1}")] = K
    write("s2s.enc.w_h", f"""
Encoder W_h (d_h x d_h): a counter. pos_i of the last state switches on
pos_(i+1), so after reading token j the columns pos0 .. pos_j are on
(0.995) and the rest exactly 0: a thermometer of how far the encoder has
read. Nothing else is carried from one state to the next.""",
          STATE, STATE, w_h)
    b = zeros(1, D_H)
    b[0][STATE.index("pos0")] = K
    write("s2s.enc.b", """
Encoder b (1 x d_h): pos0 is on from the first token on (it starts the
thermometer).""", ["b"], STATE, b)


def decoder():
    inputs = [f"in.{w}" for w in EMBED] + [f"ctx.{s}" for s in STATE]
    write("s2s.dec.embed.table", """
Target word vectors (V x d_e): all 0. This decoder does not need to read
the word it said last: it only counts down (s2s.dec.w_h).""",
          VOCAB, EMBED, zeros(len(VOCAB), D_E))
    write("s2s.dec.w_x", """
Decoder W_x ((d_e + d_h) x d_h): all 0. The decoder's input
[word vector ; context] does not change its state.""",
          inputs, STATE, zeros(D_E + D_H, D_H))
    w_h = zeros(D_H, D_H)
    for i in range(1, POSITIONS):
        w_h[STATE.index(f"pos{i}")][STATE.index(f"pos{i - 1}")] = K
    write("s2s.dec.w_h", f"""
Decoder W_h (d_h x d_h): counting down. The decoder starts from the
encoder's last state, whose thermometer reaches the last source position;
each step moves every pos_i to pos_(i-1), so the thermometer is one
position shorter after each word said.""",
          STATE, STATE, w_h)
    write("s2s.dec.b", "Decoder b (1 x d_h): 0.", ["b"], STATE, zeros(1, D_H))


def attention():
    """W_a = SHARPNESS · Dᵀ D on the position columns, where (D t)_i =
    t_i - t_(i+1) turns a thermometer reaching position m into the one-hot
    of m: then s W_a hᵀ = SHARPNESS · [the two thermometers end at the
    same position]."""
    pos = [STATE.index(f"pos{i}") for i in range(POSITIONS)]
    w_a = zeros(D_H, D_H)
    for i in range(POSITIONS):
        w_a[pos[i]][pos[i]] = SHARPNESS * (1.0 if i == 0 else 2.0)
        if i + 1 < POSITIONS:
            w_a[pos[i]][pos[i + 1]] = -SHARPNESS
            w_a[pos[i + 1]][pos[i]] = -SHARPNESS
    write("s2s.attn.w_a", f"""
Luong "general" attention W_a (d_h x d_h): score(s, h) = s · W_a · hᵀ.
Only the position columns count. A thermometer t that reaches position m
(t_0 .. t_m on, the rest 0) becomes the one-hot of m under D, where
(D t)_i = t_i - t_(i+1); W_a = {SHARPNESS:g} · Dᵀ D, so the score is {SHARPNESS:g}
when the decoder's count and the encoder state's position agree and
about 0 otherwise: softmax puts 0.9998 of the weight on that one word.
At step t the decoder's count is (source length - 1 - t): it reads the
source backwards.""",
          [f"s.{s}" for s in STATE], [f"h.{s}" for s in STATE], w_a)


def additive_attention():
    """Bahdanau's score v_aᵀ tanh(s W_q + h W_k) for the same alignment,
    with one hidden unit per source position m. (D s)_m = s_m - s_(m+1)
    is 1 when the decoder has counted down to m, (D h)_m when the encoder
    state is at position m; pos0, on (0.995) in every state, stands in for
    the constant. Unit m's input is GAIN · ((D s)_m + (D h)_m - 0.75 s_0
    - 0.75 h_0), about +3 when both say m, -3 when one does and -9 when
    neither: tanh makes it on (+0.995) only when the decoder and the
    encoder state agree."""
    pos = [STATE.index(f"pos{i}") for i in range(POSITIONS)]
    w = zeros(D_H, POSITIONS)
    for m in range(POSITIONS):
        w[pos[m]][m] += GAIN
        if m + 1 < POSITIONS:
            w[pos[m + 1]][m] -= GAIN
        w[pos[0]][m] -= 0.75 * GAIN
    units = [f"a.pos{i}" for i in range(POSITIONS)]
    for side, rows, what in (("q", "s", "the decoder's state s (the query)"),
                             ("k", "h", "the encoder's states h (the keys)")):
        write(f"s2s.attn.w_{side}", f"""
Bahdanau "additive" attention W_{side} (d_h x d_a, d_a = {POSITIONS}),
applied to {what}.
The score is v_a · tanh(s · W_q + h · W_k), with one unit a.pos_m per
source position m. Unit m reads (D x)_m = x_pos_m - x_pos_(m+1), which
is 1 when the thermometer x ends at position m, times {GAIN:g}; and pos0, on
in every state, times -{0.75 * GAIN:g} as a constant. W_q and W_k are the same
table, so unit m gets about +3 when s and h both end at m, -3 when one
of them does, -9 when neither.""",
              [f"{rows}.{s}" for s in STATE], units, w)
    write("s2s.attn.v_a", f"""
Additive attention v_a (d_a x 1): every unit votes {VOTE:g}. tanh gives +0.995
for the one unit where decoder and encoder state agree and about -1 for the
others, so the encoder state at the position sought scores about
{VOTE:g} · 2 = {2 * VOTE:g} above the rest (every score is negative: only the
differences matter to softmax), and gets 0.9998 of the weight.""",
          units, ["v_a"], [[VOTE] for _ in range(POSITIONS)])


def output():
    rows = [f"s.{s}" for s in STATE] + [f"ctx.{s}" for s in STATE]
    w = zeros(2 * D_H, len(VOCAB))
    for source, target in list(FRENCH.items()) + [("bos", "<eos>")]:
        w[D_H + STATE.index(source)][VOCAB.index(target)] = STRENGTH
    write("s2s.output.w", f"""
Output W ((d_h + d_h) x V): logits = [decoder state ; context] · W + b.
The context is the source word attended to, and its column sends {STRENGTH:g}
to its French translation: a dictionary. The <bos> every source starts
with translates to <eos>: reading backwards, the decoder reaches it last,
and stops.""",
          rows, VOCAB, w)
    write("s2s.output.b", "Output b (1 x V): 0.", ["b"], VOCAB, zeros(1, len(VOCAB)))


def vocabulary():
    lines = ["# The vocabulary of data/lesson04/, one word per line in id order after",
             "# the six special tokens (<pad> <unk> <bos> <eos> [CLS] [MASK] = ids 0-5).",
             "# English source words, then the French words not spelled the same.",
             *VOCAB[len(SPECIALS):]]
    with open(os.path.join(HERE, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    vocabulary()
    source_embeddings()
    encoder()
    decoder()
    attention()
    additive_attention()
    output()
