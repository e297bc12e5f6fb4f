#!/usr/bin/python3
"""Independent plain-PyTorch Llama/Qwen2 forward pass, written from Hugging Face's modeling_llama.py
and modeling_qwen2.py (eager attention path), computing in float64. It shares no code with the C#
engine: it parses config.json and safetensors itself.

usage: reference_decoder.py MODEL_DIR IDS_JSON OUT_FILE
  IDS_JSON: [[id, ...], ...] (equal lengths); OUT_FILE receives logits (B, T, V) as little-endian float64.
"""
import array, json, math, os, struct, sys
import torch

model_dir, ids_json, out_path = sys.argv[1], sys.argv[2], sys.argv[3]
cfg = json.load(open(os.path.join(model_dir, "config.json")))

def read_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16, "F64": torch.float64}
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        s, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[s:e]), dtype=dtypes[info["dtype"]]) if e > s else torch.zeros(0, dtype=dtypes[info["dtype"]])
        out[name] = t.reshape(info["shape"]).to(torch.float64)
    return out

W = {}
index = os.path.join(model_dir, "model.safetensors.index.json")
if os.path.exists(index):
    for shard in sorted(set(json.load(open(index))["weight_map"].values())):
        W.update(read_safetensors(os.path.join(model_dir, shard)))
else:
    W.update(read_safetensors(os.path.join(model_dir, "model.safetensors")))

H, L = cfg["hidden_size"], cfg["num_hidden_layers"]
nh = cfg["num_attention_heads"]; nkv = cfg.get("num_key_value_heads", nh)
hd = cfg.get("head_dim") or H // nh
eps = cfg["rms_norm_eps"]; theta = cfg.get("rope_theta", 10000.0)

# rotary frequencies (modeling_rope_utils: default and llama3)
inv_freq = 1.0 / (theta ** (torch.arange(0, hd, 2, dtype=torch.int64).to(torch.float64) / hd))
rs = cfg.get("rope_scaling")
if rs:
    assert rs.get("rope_type", rs.get("type")) == "llama3", rs
    factor, lf, hf, old = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"], rs["original_max_position_embeddings"]
    low_wl, high_wl = old / lf, old / hf
    wavelen = 2 * math.pi / inv_freq
    inv_l = torch.where(wavelen > low_wl, inv_freq / factor, inv_freq)
    smooth = (old / wavelen - lf) / (hf - lf)
    smoothed = (1 - smooth) * inv_l / factor + smooth * inv_l
    medium = ~(wavelen < high_wl) * ~(wavelen > low_wl)
    inv_freq = torch.where(medium, smoothed, inv_l)

def rms_norm(x, w):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)

def lin(x, prefix):
    y = x @ W[prefix + ".weight"].T
    if prefix + ".bias" in W:
        y = y + W[prefix + ".bias"]
    return y

ids = torch.tensor(json.loads(ids_json), dtype=torch.long)
B, T = ids.shape
pos = torch.arange(T, dtype=torch.float64)
freqs = pos[:, None] * inv_freq[None, :]
emb = torch.cat((freqs, freqs), dim=-1)
cos, sin = emb.cos()[None, None], emb.sin()[None, None]        # (1, 1, T, hd)
causal = torch.triu(torch.ones(T, T, dtype=torch.bool), 1)

h = W["model.embed_tokens.weight"][ids]
for i in range(L):
    p = f"model.layers.{i}"
    x = rms_norm(h, W[p + ".input_layernorm.weight"])
    q = lin(x, p + ".self_attn.q_proj").view(B, T, nh, hd).transpose(1, 2)
    k = lin(x, p + ".self_attn.k_proj").view(B, T, nkv, hd).transpose(1, 2)
    v = lin(x, p + ".self_attn.v_proj").view(B, T, nkv, hd).transpose(1, 2)
    q = q * cos + rotate_half(q) * sin
    k = k * cos + rotate_half(k) * sin
    k = k.repeat_interleave(nh // nkv, dim=1)
    v = v.repeat_interleave(nh // nkv, dim=1)
    att = (q @ k.transpose(-1, -2)) / math.sqrt(hd)
    att = att.masked_fill(causal, float("-inf")).softmax(-1)
    o = (att @ v).transpose(1, 2).reshape(B, T, nh * hd)
    h = h + lin(o, p + ".self_attn.o_proj")
    x = rms_norm(h, W[p + ".post_attention_layernorm.weight"])
    h = h + lin(torch.nn.functional.silu(lin(x, p + ".mlp.gate_proj")) * lin(x, p + ".mlp.up_proj"), p + ".mlp.down_proj")
h = rms_norm(h, W["model.norm.weight"])
head = W["lm_head.weight"] if not cfg.get("tie_word_embeddings", False) else W["model.embed_tokens.weight"]
logits = h @ head.T
with open(out_path, "wb") as f:
    f.write(array.array("d", logits.flatten().tolist()).tobytes())
print(json.dumps({"shape": list(logits.shape)}))
