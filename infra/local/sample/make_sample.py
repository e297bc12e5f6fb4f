#!/usr/bin/env python3
"""Writes the demo's bundled data (our own, no download): GSM8K-style arithmetic word problems with
answers ending in '#### N', plus a few domain Q&A about FineTune, as chat JSONL; and a held-out
GSM8K-format eval file of the same form. Deterministic (seed 7).

usage: python3 make_sample.py   (writes sample.jsonl and sample-eval.jsonl beside this file)
"""
import json, os, random

rng = random.Random(7)
names = ["Ana", "Ben", "Chen", "Dara", "Eli", "Fay", "Gus", "Hana", "Ivo", "Jin"]
things = ["apples", "books", "coins", "pens", "shells", "stamps", "cards", "marbles"]
here = os.path.dirname(os.path.abspath(__file__))

def problem(a, b):
    n, t = rng.choice(names), rng.choice(things)
    q = f"{n} has {a} {t} and gets {b} more. How many {t} does {n} have now?"
    return q, f"{n} has {a} + {b} = {a + b} {t}. #### {a + b}"

pairs = [(a, b) for a in range(1, 10) for b in range(1, 10)]
rng.shuffle(pairs)
held_out, train = pairs[:20], pairs[20:]

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
    for a, b in train:
        q, ans = problem(a, b)
        f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": ans}]}) + "\n")
    for q, ans in domain:
        f.write(json.dumps({"messages": [{"role": "user", "content": q}, {"role": "assistant", "content": ans}]}) + "\n")
with open(os.path.join(here, "sample-eval.jsonl"), "w") as f:
    for a, b in held_out:
        q, ans = problem(a, b)
        f.write(json.dumps({"question": q, "answer": ans}) + "\n")
