#!/usr/bin/python3
"""make_weights.py: writes the hand-made Transformer of data/lesson10/, an
encoder-decoder that reads "what can you do" and answers with "I" as its
first word. Standard library only; run it from anywhere to rewrite the
.txt files beside it (the same bytes every time). The construction is
explained in data/README.md and at the top of every file it writes.

The idea in one sentence: the encoder lets every word of the question see
the question word, so each word knows it is part of a question; the
decoder's first input, <bos>, asks the encoder "who is this question
about?", cross-attention finds "you" and brings back "addressee" and
"question"; a feed-forward rule turns "asked about you" into "say I", and
the output layer reads "say I" as the word "I" (with "me" and "we" below).

The model (lessons/lesson10.c builds it with these numbers): encoder-
decoder, post-norm, d_model = 9 named dimensions, 1 head, 1 encoder and
1 decoder layer, d_ff = 3 named rules, biases, learned positions that are
all 0 (this model ignores word order), no tied output. A parameter with no
file here keeps its start value: weights and biases 0, layer norms the
identity.
"""

import os

HERE = os.path.dirname(os.path.abspath(__file__))

SPECIALS = ["<pad>", "<unk>", "<bos>", "<eos>", "[CLS]", "[MASK]"]
# The words, by the one dimension each has.
KINDS = [
    ("question", ["what", "who", "where", "how", "?"]),
    ("verb", ["can", "will", "should", "do", "help", "go", "see", "are", "is"]),
    ("speaker", ["i", "me", "we"]),
    ("addressee", ["you"]),
    ("others", ["they", "them", "he", "she"]),
]
FUNCTION_WORDS = ["the", "a", "and", "for", "."]  # no dimension: all 0
VOCAB = SPECIALS + [w for _, words in KINDS for w in words] + FUNCTION_WORDS

PERSONS = ["speaker", "addressee", "others"]
SAY = ["say.I", "say.you", "say.they"]
DIMS = ["question", "verb"] + PERSONS + ["start"] + SAY
RULES = [  # hidden unit, the person it listens for, what it makes the decoder say
    ("asked.you", "addressee", "say.I"),
    ("asked.me", "speaker", "say.you"),
    ("asked.them", "others", "say.they"),
]
HIDDEN = [name for name, _, _ in RULES]

ASK = 3.0          # encoder: every word's query for the question word
QUESTION_KEY = 3.0 # encoder: the question word's key
WHO = 3.0          # decoder: <bos>'s query for a person
CARRY = 2.0        # cross-attention values: how strongly a found word is brought back
THRESHOLD = 2.0    # a rule fires when person + question passes this
SAY_STRENGTH = 6.0 # what a rule that fires writes into its say.* dimension
WORD = 3.0         # output: the logit per unit of say.*
EOS = 1.0          # output: the logit of <eos> per unit of start

D = len(DIMS)


def zeros(rows, cols):
    return [[0.0] * cols for _ in range(rows)]


def identity(n):
    m = zeros(n, n)
    for i in range(n):
        m[i][i] = 1.0
    return m


def write(name, comment, row_labels, col_labels, matrix):
    lines = [f"# {line}".rstrip() for line in comment.strip().splitlines()]
    # Each column label stands right above its numbers.
    lead = max([len(label) for label in row_labels] + [len("columns:")])
    widths = [max(len(label), 4) for label in col_labels]
    labels = "  ".join(label.rjust(w) for label, w in zip(col_labels, widths))
    lines.append(f"{'columns:'.ljust(lead)}  {labels}")
    for label, row in zip(row_labels, matrix):
        numbers = "  ".join(f"{x:g}".rjust(w) for x, w in zip(row, widths))
        lines.append(f"{label.ljust(lead)}  {numbers}")
    with open(os.path.join(HERE, f"{name}.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def vocabulary():
    lines = ["# The vocabulary of data/lesson10/, one word per line in id order after",
             "# the six special tokens (<pad> <unk> <bos> <eos> [CLS] [MASK] = ids 0-5):",
             "# question words, verbs, pronouns, then a few function words.",
             *VOCAB[len(SPECIALS):]]
    with open(os.path.join(HERE, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")


def embeddings():
    m = zeros(len(VOCAB), D)
    for kind, words in KINDS:
        for w in words:
            m[VOCAB.index(w)][DIMS.index(kind)] = 1.0
    m[VOCAB.index("<bos>")][DIMS.index("start")] = 1.0
    write("embed.table", """
Word vectors (V x d_model), shared by the encoder and the decoder: each
word is 1 in the one dimension that says what kind of word it is.
  question   a question word or the question mark
  verb       a verb or modal verb
  speaker    I, me, we: the one asking
  addressee  you: the one asked
  others     they, them, he, she: anyone else (one dimension for all of
             them, so this model cannot tell he from they)
  start      <bos>, the decoder's first input
  say.I say.you say.they   0 for every word: the decoder's feed-forward
             rules write here what the answer should say
Function words (the, a, and, for, .) and the other special tokens are
all 0: this model ignores them.""", VOCAB, DIMS, m)


def encoder_attention():
    w_q = zeros(D, D)
    for kind in ["question", "verb"] + PERSONS:
        w_q[DIMS.index(kind)][DIMS.index("question")] = ASK
    write("enc.0.attn.w_q", f"""
Encoder self-attention W_Q (d_model x d_model): every word, whatever its
kind, asks for a question word: its query is {ASK:g} in the question
column. (Function words and <unk> are all 0 and ask for nothing; their
weights come out even.)""", DIMS, DIMS, w_q)
    w_k = zeros(D, D)
    w_k[DIMS.index("question")][DIMS.index("question")] = QUESTION_KEY
    write("enc.0.attn.w_k", f"""
Encoder self-attention W_K: only a question word has a key, {QUESTION_KEY:g} in the
question column. A word's score for the question word is {ASK:g} x {QUESTION_KEY:g} = {ASK * QUESTION_KEY:g},
scaled by 1/sqrt(9) to {ASK * QUESTION_KEY / 3:g}; for any other word 0. In "what can you
do" softmax gives "what" e^3 / (e^3 + 3) = 0.87 of every word's weight.""",
          DIMS, DIMS, w_k)
    w_v = zeros(D, D)
    w_v[DIMS.index("question")][DIMS.index("question")] = 1.0
    write("enc.0.attn.w_v", """
Encoder self-attention W_V: a word's value is its question dimension only,
so what each word takes from the words it attends to is "question":
after the encoder every word knows the sentence is a question.""", DIMS, DIMS, w_v)
    write("enc.0.attn.w_o", """
Encoder self-attention W_O = I: the head's output as it is.""", DIMS, DIMS, identity(D))


def decoder_self_attention():
    for part, comment in [("w_q", "queries"), ("w_k", "keys"), ("w_v", "values"),
                          ("w_o", "the output")]:
        write(f"dec.0.self_attn.{part}", f"""
Decoder masked self-attention {part.upper()} = I: {comment} are the decoder's own
vectors. At the first step the decoder has read only <bos>, so the causal
mask leaves it one word to look at, with weight 1.""", DIMS, DIMS, identity(D))


def cross_attention():
    w_q = zeros(D, D)
    for person in PERSONS:
        w_q[DIMS.index("start")][DIMS.index(person)] = WHO
    write("dec.0.cross_attn.w_q", f"""
Cross-attention W_Q: the decoder's <bos> (start) asks "who is this
question about?": its query is {WHO:g} in each of the three person columns.""",
          DIMS, DIMS, w_q)
    w_k = zeros(D, D)
    for person in PERSONS:
        w_k[DIMS.index(person)][DIMS.index(person)] = 1.0
    write("dec.0.cross_attn.w_k", """
Cross-attention W_K: an encoder word's key is its person columns, so the
query's score is high for a pronoun and low for every other word.""",
          DIMS, DIMS, w_k)
    w_v = zeros(D, D)
    for kind in ["question"] + PERSONS:
        w_v[DIMS.index(kind)][DIMS.index(kind)] = CARRY
    write("dec.0.cross_attn.w_v", f"""
Cross-attention W_V: what the found word brings back to the decoder: its
person columns and its question column, times {CARRY:g}. For "you": addressee,
and question (which the encoder gave it).""", DIMS, DIMS, w_v)
    write("dec.0.cross_attn.w_o", """
Cross-attention W_O = I.""", DIMS, DIMS, identity(D))


def feed_forward():
    w1 = zeros(D, len(RULES))
    for u, (_, person, _) in enumerate(RULES):
        w1[DIMS.index(person)][u] = 1.0
        w1[DIMS.index("question")][u] = 1.0
    write("dec.0.ffn.w1", f"""
Decoder FFN W1 (d_model x d_ff): three rules, one hidden unit each. A rule
adds up its person and question; with b1 = -{THRESHOLD:g} it fires (the ReLU
lets it through) only when both are clearly there: the question is about
that person.
  asked.you   a question about you (the addressee)
  asked.me    a question about me (the speaker)
  asked.them  a question about others""", DIMS, HIDDEN, w1)
    write("dec.0.ffn.b1", f"""
Decoder FFN b1 (1 x d_ff): -{THRESHOLD:g} for every rule, the threshold.""",
          ["b1"], HIDDEN, [[-THRESHOLD] * len(RULES)])
    w2 = zeros(len(RULES), D)
    for u, (_, _, say) in enumerate(RULES):
        w2[u][DIMS.index(say)] = SAY_STRENGTH
    write("dec.0.ffn.w2", f"""
Decoder FFN W2 (d_ff x d_model): what each rule makes the answer say,
{SAY_STRENGTH:g} per unit: asked about you -> say I; asked about me -> say you;
asked about others -> say they.""", HIDDEN, DIMS, w2)


def output():
    w = zeros(D, len(VOCAB))
    for word, share in [("i", 1.0), ("me", 0.5), ("we", 0.25)]:
        w[DIMS.index("say.I")][VOCAB.index(word)] = WORD * share
    w[DIMS.index("say.you")][VOCAB.index("you")] = WORD
    w[DIMS.index("say.they")][VOCAB.index("they")] = WORD
    w[DIMS.index("start")][VOCAB.index("<eos>")] = EOS
    write("logits.w", f"""
Output projection (d_model x V): logits = the decoder's last vector x this.
Each say.* dimension is read as words: say.I as "i" ({WORD:g}), and less as "me"
({WORD / 2:g}) and "we" ({WORD / 4:g}); say.you as "you"; say.they as "they". start
gives <eos> a little ({EOS:g}): when no rule fired, the model has nothing to
say and ends at once. The other dimensions give no word anything.""",
          DIMS, VOCAB, w)


if __name__ == "__main__":
    vocabulary()
    embeddings()
    encoder_attention()
    decoder_self_attention()
    cross_attention()
    feed_forward()
    output()
