#!/usr/bin/env python3
"""Write the bank corpus: short English sentences from a small grammar in
which some words have two meanings and only the context says which.

    /usr/bin/python3 make_corpus.py        # rewrites corpus.txt and heldout.txt

Standard library only; seeded, so the files come out byte for byte the same.
corpus.txt is what attnlab-train learns from; heldout.txt holds sentences
the grammar can make that corpus.txt does not contain, for measuring.

The grammar (every choice uniform):

  bank, the side of a river or a place for money. The only word before
  "bank" that tells which is "river" or "money", some words back; what
  follows "bank" depends on it:

    the {river|money} was {near|close|there|ready} , so SUBJECT VERB to the
        bank {RIVER_END|MONEY_END} .
    SUBJECT {thought|talked|dreamed} about the {river|money} {again|all day|}
        and VERB to the bank {RIVER_END|MONEY_END} .
    SUBJECT VERB past the {river|money} {today|once more|} and then to the
        bank {RIVER_END|MONEY_END} .

  RIVER_END: near the water | beside the reeds | under the willows |
             where the ducks swim | to watch the boats
  MONEY_END: for a loan | for the cashier | where the coins are kept |
             to open an account | to pay the bills

  flag, a warning or a cloth on a pole:
    the {cough|noise|smoke|delay} was a red flag , so SUBJECT called for help .
    the red flag on the {pole|mast|tower} waved in the wind .
  bat, an animal or a club:
    the bat flew out of the {cave|barn|tree} at night .
    SUBJECT swung the bat and hit the ball over the {fence|wall|hedge} .
  light, not heavy or a lamp:
    the {bag|box|basket} was light , so SUBJECT carried it home .
    SUBJECT turned on the light in the {kitchen|hall|study} .

  SUBJECT: she | he | they | we | the boy | the girl | my friend | the old man
  VERB: went | walked | ran | hurried | came | drove

Bank sentences are half the corpus, river and money equally often.
"""
import random

SUBJECTS = ["she", "he", "they", "we", "the boy", "the girl", "my friend", "the old man"]
VERBS = ["went", "walked", "ran", "hurried", "came", "drove"]
ENDS = {
    "river": ["near the water", "beside the reeds", "under the willows",
              "where the ducks swim", "to watch the boats"],
    "money": ["for a loan", "for the cashier", "where the coins are kept",
              "to open an account", "to pay the bills"],
}


def bank_sentence(rng, sense):
    subject, verb, end = rng.choice(SUBJECTS), rng.choice(VERBS), rng.choice(ENDS[sense])
    form = rng.randrange(3)
    if form == 0:
        state = rng.choice(["near", "close", "there", "ready"])
        return f"the {sense} was {state} , so {subject} {verb} to the bank {end} ."
    if form == 1:
        thought = rng.choice(["thought", "talked", "dreamed"])
        when = rng.choice(["again ", "all day ", ""])
        return f"{subject} {thought} about the {sense} {when}and {verb} to the bank {end} ."
    when = rng.choice(["today ", "once more ", ""])
    return f"{subject} {verb} past the {sense} {when}and then to the bank {end} ."


def other_sentence(rng):
    subject = rng.choice(SUBJECTS)
    return rng.choice([
        lambda: f"the {rng.choice(['cough', 'noise', 'smoke', 'delay'])} was a red flag , "
                f"so {subject} called for help .",
        lambda: f"the red flag on the {rng.choice(['pole', 'mast', 'tower'])} waved in the wind .",
        lambda: f"the bat flew out of the {rng.choice(['cave', 'barn', 'tree'])} at night .",
        lambda: f"{subject} swung the bat and hit the ball over the "
                f"{rng.choice(['fence', 'wall', 'hedge'])} .",
        lambda: f"the {rng.choice(['bag', 'box', 'basket'])} was light , so {subject} "
                f"carried it home .",
        lambda: f"{subject} turned on the light in the {rng.choice(['kitchen', 'hall', 'study'])} .",
    ])()


def sentence(rng):
    if rng.random() < 0.5:
        return bank_sentence(rng, rng.choice(["river", "money"]))
    return other_sentence(rng)


def main():
    rng = random.Random(20261204)
    corpus = [sentence(rng) for _ in range(20000)]
    seen = set(corpus)
    # held out: bank sentences only, each sense 100 times, none in the corpus
    heldout, kept = [], set()
    for sense in ["river", "money"] * 100:
        while True:
            s = bank_sentence(rng, sense)
            if s not in seen and s not in kept:
                break
        kept.add(s)
        heldout.append(s)
    with open("corpus.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(corpus) + "\n")
    with open("heldout.txt", "w", encoding="utf-8") as f:
        f.write("\n".join(heldout) + "\n")


if __name__ == "__main__":
    main()
