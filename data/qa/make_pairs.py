#!/usr/bin/env python3
"""Write pairs.tsv: questions and their answers, in the chapter's style
("what can you do" -> "i can answer questions"), one pair a line,
question<TAB>answer, for attnlab-train --family encoder-decoder.

    /usr/bin/python3 make_pairs.py        # rewrites pairs.tsv

Standard library only; seeded, so the file comes out byte for byte the same.

  facts        what can SUBJECT do -> each subject's one skill, the model's
               own first: "what can you do" -> "i can answer questions";
               who are you, what are you, how are you
  yes or no    can SUBJECT SKILL -> yes , SUBJECT' can SKILL, with "you" and
               "i" swapped ("we" becomes "you"): the answer copies the
               question's words, so cross-attention has something to find
  places       where is the THING -> the THING is in the PLACE

The last tenth of the file (attnlab-train's --validation 0.1) holds
yes-or-no questions never learned from, to see whether the copying
generalises; every fact is learned from.
"""
import random

SKILLS = ["answer questions", "read books", "help people", "write letters",
          "sing songs", "cook dinner", "play chess", "drive cars"]
SWAP = {"you": "i", "i": "you", "we": "you", "they": "they", "he": "he", "she": "she"}
OWN_SKILL = {"you": "answer questions", "i": "read books", "we": "help people",
             "they": "play chess", "he": "cook dinner", "she": "write letters"}
PLACES = {"cat": "garden", "book": "library", "car": "street", "dog": "house",
          "boat": "harbour", "bird": "tree"}
FACTS = [("who are you", "i am a small language model"),
         ("what are you", "i am a transformer"),
         ("how are you", "i am fine , thank you")]


def main():
    facts = [(f"what can {s} do", f"{SWAP[s]} can {OWN_SKILL[s]}") for s in SWAP] + FACTS
    facts += [(f"where is the {t}", f"the {t} is in the {p}") for t, p in PLACES.items()]
    questions = [(f"can {s} {k}", f"yes , {SWAP[s]} can {k}") for s in SWAP for k in SKILLS]
    rng = random.Random(20261204)
    pairs = facts + questions
    held = len(pairs) // 10
    rng.shuffle(questions)
    learned = facts + questions[held:]
    rng.shuffle(learned)
    with open("pairs.tsv", "w", encoding="utf-8") as f:
        for question, answer in learned + questions[:held]:
            f.write(f"{question}\t{answer}\n")


if __name__ == "__main__":
    main()
