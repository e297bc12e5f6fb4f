#!/usr/bin/env python3
"""Writes the demo's bundled data (our own, no download): GSM8K-style word problems with answers ending
in '#### N', plus a few domain Q&A about FineTune, as chat JSONL; and a held-out GSM8K-format eval file
of the same form. Deterministic (seed 7).

The demo trains a tiny random model (hidden 64, 2 layers) for about a minute on 2 CPU cores, so the
problems are of the kind such a model can learn to answer for unseen names and numbers: the answer is a
number stated in the question (held-out addition stays at 0% for a model this small). Point the
pipeline at a real model for real arithmetic.

usage: python3 make_sample.py   (writes sample.jsonl and sample-eval.jsonl beside this file)
"""
import json, os, random

rng = random.Random(7)
names = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jin"]
things = ["apples", "books", "coins", "pens", "shells", "stamps", "cards", "marbles"]
here = os.path.dirname(os.path.abspath(__file__))

def problem(n, name, thing):
    q = f"{name} has {n} {thing} in a box. How many {thing} are in the box?"
    return q, f"The box holds {n} {thing}. #### {n}"

combos = [(n, name, thing) for n in range(1, 10) for name in names for thing in things]
rng.shuffle(combos)
held_out, train = combos[:20], combos[20:84]

domain = [
    ("What does FineTune do?", "FineTune turns your chat data or documents into a LoRA-tuned model you can call with the OpenAI SDK."),
    ("Where do I drop training data?", "Drop the file into the uploads container; a job starts by itself."),
    ("Which data formats are accepted?", "Chat JSONL, alpaca and sharegpt files, and PDF, TXT, MD or DOCX documents."),
    ("How do I follow a job?", "Poll the statusQueryGetUri of the job; it shows the stage, the step and the loss."),
    ("What happens to invalid lines?", "The job fails with a report naming each bad line, unless the manifest says to drop them."),
    ("How is the tuned model served?", "Behind /v1/chat/completions, as a model id that names the base and the job."),
    ("Does FineTune need a GPU?", "No. It trains on the CPU, and on a CUDA GPU when one is present."),
    ("What is saved after training?", "A LoRA adapter in PEFT format, with a checkpoint after every epoch."),
]

with open(os.path.join(here, "sample.jsonl"), "w") as f:
    for c in train:
        q, ans = problem(*c)
        f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": ans}]}) + "\n")
    for q, ans in domain:
        f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": ans}]}) + "\n")
with open(os.path.join(here, "sample-eval.jsonl"), "w") as f:
    for c in held_out:
        q, ans = problem(*c)
        f.write(json.dumps({"question": q, "answer": ans}) + "\n")
