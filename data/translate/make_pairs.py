#!/usr/bin/env python3
"""Write pairs.tsv: English phrases and their French translations, one
pair a line, source<TAB>target, for attnlab-train --family rnn-seq2seq
(or encoder-decoder).

    /usr/bin/python3 make_pairs.py        # rewrites pairs.tsv

Standard library only; seeded, so the file comes out byte for byte the same.
Three kinds of phrase, each making the decoder look somewhere other than
"the same position in the source":

  reordering   the/a ADJ NOUN -> le/la/un/une NOUN ADJ, the adjective
               agreeing with the noun's gender:
               "the red car" -> "la voiture rouge"
  three words  [the] ADJ ADJ NOUN -> [la] NOUN ADJ ADJ, the adjectives in
               reverse order: "european economic area" -> "zone économique
               européenne" (the first French word comes from the last
               English one: an anti-diagonal alignment)
  length       SUBJECT VERB ADVERB -> SUJET AUXILIAIRE PARTICIPE ADVERBE,
               three words to four or five: "they arrived late" -> "ils
               sont arrivés en retard"

The pairs are shuffled; the last tenth of the file is what attnlab-train
holds out (--validation 0.1), and it is chosen to hold the phrases the
model is measured on, which it therefore never learns from: "european
economic area", "the red car" and "they arrived late".
"""
import random

COLOURS = {"red": ("rouge", "rouge"), "black": ("noir", "noire"), "green": ("vert", "verte"),
           "blue": ("bleu", "bleue"), "white": ("blanc", "blanche")}
THINGS = {"car": ("voiture", "f"), "house": ("maison", "f"), "door": ("porte", "f"),
          "flower": ("fleur", "f"), "dog": ("chien", "m"), "book": ("livre", "m"),
          "cat": ("chat", "m"), "hat": ("chapeau", "m")}
EUROPEAN = {"european": "européenne", "economic": "économique", "central": "centrale",
            "monetary": "monétaire"}          # all nouns below are feminine
INSTITUTIONS = {"area": "zone", "bank": "banque", "union": "union", "policy": "politique"}
SUBJECTS = {"i": ("je suis", ""), "he": ("il est", ""), "she": ("elle est", "e"),
            "we": ("nous sommes", "s"), "they": ("ils sont", "s")}
VERBS = {"arrived": "arrivé", "left": "parti", "came": "venu"}
ADVERBS = {"late": "en retard", "early": "en avance", "yesterday": "hier",
           "together": "ensemble"}
MEASURED = ["european economic area", "the red car", "they arrived late"]


def colour_pairs():
    for adjective, (masculine, feminine) in COLOURS.items():
        for noun, (french, gender) in THINGS.items():
            form = feminine if gender == "f" else masculine
            the, a = ("la", "une") if gender == "f" else ("le", "un")
            yield f"the {adjective} {noun}", f"{the} {french} {form}"
            yield f"a {adjective} {noun}", f"{a} {french} {form}"


def institution_pairs():
    for noun, french in INSTITUTIONS.items():
        for first in EUROPEAN:
            yield f"{first} {noun}", f"{french} {EUROPEAN[first]}"
            for second in EUROPEAN:
                if second != first:
                    phrase = f"{first} {second} {noun}"
                    target = f"{french} {EUROPEAN[second]} {EUROPEAN[first]}"
                    yield phrase, target
                    yield f"the {phrase}", f"la {target}"


def sentence_pairs():
    for subject, (french, ending) in SUBJECTS.items():
        for verb, participle in VERBS.items():
            for adverb, french_adverb in ADVERBS.items():
                yield f"{subject} {verb} {adverb}", f"{french} {participle}{ending} {french_adverb}"


def main():
    pairs = list(colour_pairs()) + list(institution_pairs()) + list(sentence_pairs())
    rng = random.Random(20261204)
    rng.shuffle(pairs)
    measured = [p for p in pairs if p[0] in MEASURED]
    rest = [p for p in pairs if p[0] not in MEASURED]
    held = len(pairs) // 10            # what --validation 0.1 holds out
    lines = rest[:len(pairs) - held] + measured + rest[len(pairs) - held:]
    with open("pairs.tsv", "w", encoding="utf-8") as f:
        for source, target in lines:
            f.write(f"{source}\t{target}\n")


if __name__ == "__main__":
    main()
