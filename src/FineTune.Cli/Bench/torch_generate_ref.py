#!/usr/bin/python3
"""Plain PyTorch eager greedy generation with a KV cache on a Hugging Face Llama/Qwen2 folder (float32,
CPU), independent of the C# engine: it parses config.json and safetensors itself. The reference beside
`finetune bench generate`. Prints one JSON object: prefill and decode tokens/s, medians of 3 runs after a warm-up on the same shapes.

usage: torch_generate_ref.py MODEL_DIR --batch B --prompt P --new N [--threads T] [--prompt-ids JSON] [--serve]
  --prompt-ids: generate from these ids (batch 1) instead of random ones; the output then lists the greedy
  tokens of the last run, so a caller can check both engines chose the same ones.
  --serve: warm up once, then measure again (one JSON line) for each line read from stdin, until "quit" or its end:
  a caller alternates with its own measurements a fraction of a second apart, without a process start between.
"""
import argparse, json, math, os, struct, sys, time
import torch

ap = argparse.ArgumentParser()
ap.add_argument("model"); ap.add_argument("--batch", type=int, default=1); ap.add_argument("--prompt", type=int, default=64)
ap.add_argument("--new", type=int, default=64); ap.add_argument("--threads", type=int, default=2)
ap.add_argument("--prompt-ids", default=None); ap.add_argument("--serve", action="store_true")
a = ap.parse_args()
torch.set_num_threads(a.threads)
cfg = json.load(open(os.path.join(a.model, "config.json")))

def read(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]; header = json.loads(f.read(n)); data = f.read()
    dt = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
    return {k: torch.frombuffer(bytearray(data[v["data_offsets"][0]:v["data_offsets"][1]]), dtype=dt[v["dtype"]]).reshape(v["shape"]).float()
            for k, v in header.items() if k != "__metadata__"}
W = {}
idx = os.path.join(a.model, "model.safetensors.index.json")
for f in (sorted(set(json.load(open(idx))["weight_map"].values())) if os.path.exists(idx) else ["model.safetensors"]):
    W.update(read(os.path.join(a.model, f)))

H, L, nh = cfg["hidden_size"], cfg["num_hidden_layers"], cfg["num_attention_heads"]
nkv = cfg.get("num_key_value_heads", nh); hd = cfg.get("head_dim") or H // nh; eps = cfg["rms_norm_eps"]
inv = 1.0 / (cfg.get("rope_theta", 10000.0) ** (torch.arange(0, hd, 2).float() / hd))
head = W["model.embed_tokens.weight"] if cfg.get("tie_word_embeddings") else W["lm_head.weight"]

def lin(x, p):
    y = x @ W[p + ".weight"].T
    return y + W[p + ".bias"] if p + ".bias" in W else y
def norm(x, w): return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))
def rot(x): h = x.shape[-1] // 2; return torch.cat((-x[..., h:], x[..., :h]), -1)

def forward(ids, cache, start):
    B, T = ids.shape
    pos = torch.arange(start, start + T).float()
    f = pos[:, None] * inv[None]; e = torch.cat((f, f), -1); cos, sin = e.cos(), e.sin()
    h = W["model.embed_tokens.weight"][ids]
    for i in range(L):
        p = f"model.layers.{i}"; x = norm(h, W[p + ".input_layernorm.weight"])
        q = lin(x, p + ".self_attn.q_proj").view(B, T, nh, hd).transpose(1, 2)
        k = lin(x, p + ".self_attn.k_proj").view(B, T, nkv, hd).transpose(1, 2)
        v = lin(x, p + ".self_attn.v_proj").view(B, T, nkv, hd).transpose(1, 2)
        q = q * cos + rot(q) * sin; k = k * cos + rot(k) * sin
        if cache[i] is not None: k = torch.cat((cache[i][0], k), 2); v = torch.cat((cache[i][1], v), 2)
        cache[i] = (k, v)
        kk = k.repeat_interleave(nh // nkv, 1); vv = v.repeat_interleave(nh // nkv, 1)
        att = (q @ kk.transpose(-1, -2)) / math.sqrt(hd)
        S = kk.shape[2]
        if T > 1: att = att.masked_fill(torch.ones(T, S, dtype=torch.bool).triu(S - T + 1), float("-inf"))
        o = (att.softmax(-1) @ vv).transpose(1, 2).reshape(B, T, nh * hd)
        h = h + lin(o, p + ".self_attn.o_proj")
        x = norm(h, W[p + ".post_attention_layernorm.weight"])
        h = h + lin(torch.nn.functional.silu(lin(x, p + ".mlp.gate_proj")) * lin(x, p + ".mlp.up_proj"), p + ".mlp.down_proj")
    return norm(h[:, -1], W["model.norm.weight"]) @ head.T

torch.manual_seed(0)
ids = torch.randint(0, cfg["vocab_size"], (a.batch, a.prompt))
if a.prompt_ids:
    ids = torch.tensor([json.loads(a.prompt_ids)], dtype=torch.long); a.batch, a.prompt = ids.shape
generated = []
def run(n):
    cache = [None] * L
    generated.clear()
    t0 = time.perf_counter(); nxt = forward(ids, cache, 0).argmax(-1, keepdim=True); t1 = time.perf_counter()
    generated.append(int(nxt[0, 0]))
    for s in range(n - 1):
        nxt = forward(nxt, cache, a.prompt + s).argmax(-1, keepdim=True)
        generated.append(int(nxt[0, 0]))
    return t1 - t0, time.perf_counter() - t1
def measure():
    runs = [run(a.new) for _ in range(3)]
    prefill = sorted(a.batch * a.prompt / p for p, _ in runs)[1]
    decode = sorted(a.batch * (a.new - 1) / d for _, d in runs)[1] if a.new > 1 else None
    print(json.dumps({"impl": "pytorch-eager", "torch": torch.__version__, "threads": torch.get_num_threads(),
                      "prefill_tokens_per_s": round(prefill, 1), "decode_tokens_per_s": round(decode, 1) if decode else None,
                      "tokens": generated}), flush=True)
with torch.no_grad():
    run(2)  # warm-up on the timed shapes
    if not a.serve:
        measure()
    else:
        print(json.dumps({"ready": True}), flush=True)
        for line in sys.stdin:
            if line.strip() == "quit": break
            measure()
