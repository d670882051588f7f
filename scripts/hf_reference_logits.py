#!/usr/bin/env python3
"""Computes the logits a Hugging Face model folder declares, with a forward written here from each architecture's
definition in transformers (not from rlhf4j's Java model), for the tests that check what a stage folder claims:

    /usr/bin/python3 scripts/hf_reference_logits.py FOLDER OUT.json 5,17,3,...

Reads config.json and model.safetensors (or its shards; F32/F64/F16/BF16, parsed here) and follows model_type:
- gpt2: Conv1D weights x @ W + b, q | k | v side by side in c_attn, learned positions, LayerNorm with
  layer_norm_epsilon, activation_function, the head tied to wte;
- gpt_neox: nn.Linear weights x @ W.T + b, query_key_value grouped per head as [q_h | k_h | v_h], rotary embedding
  on the first rotary_pct of each head with the rotate-half pairing and base rope_theta (or rotary_emb_base),
  sequential or parallel residual as use_parallel_residual says, LayerNorm with layer_norm_eps, hidden_act,
  embed_out as the head (embed_in when tie_word_embeddings);
- llama, qwen2: nn.Linear weights, RMSNorm with rms_norm_eps, rotary on the whole head with base rope_theta
  (and Llama 3's rope_scaling),
  grouped-query attention, the SwiGLU MLP down(silu(gate(x)) * up(x)), biases where the tensors are (qwen2: q, k, v),
  lm_head (embed_tokens when tie_word_embeddings).
Writes {"tokens": [...], "logits": [[...], ...]} (one row of vocab_size logits per token).
"""
import json
import math
import struct
import sys
from pathlib import Path

import torch

DTYPES = {"F32": (torch.float32, 4), "F64": (torch.float64, 8), "F16": (torch.float16, 2), "BF16": (torch.bfloat16, 2)}


def read_model(folder):
    """model.safetensors, or the shards model.safetensors.index.json lists."""
    index = folder / "model.safetensors.index.json"
    if not index.exists():
        return read_safetensors(folder / "model.safetensors")
    tensors = {}
    for shard in sorted(set(json.loads(index.read_text())["weight_map"].values())):
        tensors.update(read_safetensors(folder / shard))
    return tensors


def read_safetensors(path):
    data = Path(path).read_bytes()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    tensors = {}
    for name, entry in header.items():
        if name == "__metadata__":
            continue
        dtype, size = DTYPES[entry["dtype"]]
        begin, end = entry["data_offsets"]
        raw = bytearray(data[8 + n + begin:8 + n + end])
        t = torch.frombuffer(raw, dtype=dtype) if raw else torch.zeros(0, dtype=dtype)
        tensors[name] = t.reshape(entry["shape"]).to(torch.float64)
    return tensors


CODES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def write_safetensors(path, tensors):
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = t.contiguous().view(torch.uint8).numpy().tobytes() if t.dtype == torch.bfloat16 \
            else t.contiguous().numpy().tobytes()
        header[name] = {"dtype": CODES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    header["__metadata__"] = {"format": "pt"}
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def activation(name):
    if name == "gelu_new":
        return lambda x: 0.5 * x * (1 + torch.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    if name == "quick_gelu":
        return lambda x: x * torch.sigmoid(1.702 * x)
    if name == "gelu":
        return lambda x: 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))
    raise SystemExit(f"activation {name} is not implemented here")


def layer_norm(x, w, b, eps):
    mean = x.mean(-1, keepdim=True)
    var = ((x - mean) ** 2).mean(-1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * w + b


def attend(q, k, v):
    # q, k, v: [H, T, D]; causal softmax(q k^T / sqrt(D)) v -> [T, H*D]
    h, t, d = q.shape
    scores = q @ k.transpose(1, 2) / math.sqrt(d)
    scores = scores.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
    return (torch.softmax(scores, -1) @ v).transpose(0, 1).reshape(t, h * d)


def gpt2(c, p, tokens):
    p = {k[len("transformer."):] if k.startswith("transformer.") else k: v for k, v in p.items()}
    n_head, eps = c["n_head"], c.get("layer_norm_epsilon", 1e-5)
    act = activation(c.get("activation_function", "gelu_new"))
    t = len(tokens)
    x = p["wte.weight"][tokens] + p["wpe.weight"][torch.arange(t)]
    for l in range(c["n_layer"]):
        g = lambda n: p[f"h.{l}.{n}"]
        h = layer_norm(x, g("ln_1.weight"), g("ln_1.bias"), eps)
        qkv = h @ g("attn.c_attn.weight") + g("attn.c_attn.bias")
        q, k, v = (z.reshape(t, n_head, -1).transpose(0, 1) for z in qkv.split(qkv.shape[1] // 3, dim=1))
        x = x + attend(q, k, v) @ g("attn.c_proj.weight") + g("attn.c_proj.bias")
        h = layer_norm(x, g("ln_2.weight"), g("ln_2.bias"), eps)
        x = x + act(h @ g("mlp.c_fc.weight") + g("mlp.c_fc.bias")) @ g("mlp.c_proj.weight") + g("mlp.c_proj.bias")
    x = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"], eps)
    return x @ p["wte.weight"].T


def llama3_scaling(inv_freq, r):
    # transformers' _compute_llama3_parameters: long wavelengths divided by factor, short ones kept, a blend between
    low_wavelen = r["original_max_position_embeddings"] / r["low_freq_factor"]
    high_wavelen = r["original_max_position_embeddings"] / r["high_freq_factor"]
    wavelen = 2 * math.pi / inv_freq
    scaled = torch.where(wavelen > low_wavelen, inv_freq / r["factor"], inv_freq)
    smooth = (r["original_max_position_embeddings"] / wavelen - r["low_freq_factor"]) / (
        r["high_freq_factor"] - r["low_freq_factor"])
    smoothed = (1 - smooth) * scaled / r["factor"] + smooth * scaled
    medium = (wavelen >= high_wavelen) & (wavelen <= low_wavelen)
    return torch.where(medium, smoothed, scaled)


def rotate(x, ndims, base, scaling=None):
    # x: [H, T, D]; the first ndims of each head rotated, dimension i paired with i + ndims/2 (rotate half)
    t = x.shape[1]
    inv_freq = 1.0 / (base ** (torch.arange(0, ndims, 2, dtype=torch.float64) / ndims))
    if scaling is not None:
        inv_freq = llama3_scaling(inv_freq, scaling)
    angles = torch.arange(t, dtype=torch.float64)[:, None] * inv_freq[None, :]          # [T, ndims/2]
    emb = torch.cat([angles, angles], -1)
    cos, sin = emb.cos(), emb.sin()
    rot, rest = x[..., :ndims], x[..., ndims:]
    half = ndims // 2
    rotated_half = torch.cat([-rot[..., half:], rot[..., :half]], -1)
    return torch.cat([rot * cos + rotated_half * sin, rest], -1)


def gpt_neox(c, p, tokens):
    n_head, width = c["num_attention_heads"], c["hidden_size"]
    d = width // n_head
    eps = c.get("layer_norm_eps", 1e-5)
    act = activation(c.get("hidden_act", "gelu"))
    ndims = int(d * c.get("rotary_pct", 0.25))
    base = c.get("rope_theta", c.get("rotary_emb_base", 10000))
    linear = lambda x, name: x @ p[name + ".weight"].T + (p[name + ".bias"] if name + ".bias" in p else 0)
    t = len(tokens)
    x = p["gpt_neox.embed_in.weight"][tokens]
    for l in range(c["num_hidden_layers"]):
        pre = f"gpt_neox.layers.{l}."
        ln = lambda z, n: layer_norm(z, p[pre + n + ".weight"], p[pre + n + ".bias"], eps)
        qkv = linear(ln(x, "input_layernorm"), pre + "attention.query_key_value")        # [T, 3C]
        qkv = qkv.reshape(t, n_head, 3 * d).transpose(0, 1)                                # [H, T, 3D]
        q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]
        attn = linear(attend(rotate(q, ndims, base), rotate(k, ndims, base), v), pre + "attention.dense")
        mlp = lambda z: linear(act(linear(ln(z, "post_attention_layernorm"), pre + "mlp.dense_h_to_4h")),
                               pre + "mlp.dense_4h_to_h")
        x = x + attn + mlp(x) if c.get("use_parallel_residual", True) else (x + attn) + mlp(x + attn)
    x = layer_norm(x, p["gpt_neox.final_layer_norm.weight"], p["gpt_neox.final_layer_norm.bias"], eps)
    head = p["gpt_neox.embed_in.weight"] if c.get("tie_word_embeddings", False) else p["embed_out.weight"]
    return x @ head.T


def rms_norm(x, w, eps):
    return x / torch.sqrt((x * x).mean(-1, keepdim=True) + eps) * w


def llama(c, p, tokens):
    # LlamaForCausalLM and Qwen2ForCausalLM: RMSNorm, rotary on the whole head (rotate half, base rope_theta),
    # grouped-query attention (query head h reads key/value head h // (H / Hkv)), SwiGLU MLP, no biases except
    # where attention_bias / mlp_bias say (Qwen2: q, k and v always have biases, o none).
    scaling = c.get("rope_scaling")
    if scaling and scaling.get("rope_type", scaling.get("type")) != "llama3":
        raise SystemExit("rope_scaling " + json.dumps(scaling) + " is not implemented here")
    n_head, n_kv, width = c["num_attention_heads"], c.get("num_key_value_heads", c["num_attention_heads"]), c["hidden_size"]
    d = c.get("head_dim") or width // n_head
    eps, base = c.get("rms_norm_eps", 1e-6), c.get("rope_theta", 10000.0)
    if c.get("hidden_act", "silu") != "silu":
        raise SystemExit("hidden_act " + c["hidden_act"] + " is not implemented here")
    linear = lambda x, name: x @ p[name + ".weight"].T + (p[name + ".bias"] if name + ".bias" in p else 0)
    t = len(tokens)
    x = p["model.embed_tokens.weight"][tokens]
    for l in range(c["num_hidden_layers"]):
        pre = f"model.layers.{l}."
        h = rms_norm(x, p[pre + "input_layernorm.weight"], eps)
        q = linear(h, pre + "self_attn.q_proj").reshape(t, n_head, d).transpose(0, 1)     # [H, T, D]
        k = linear(h, pre + "self_attn.k_proj").reshape(t, n_kv, d).transpose(0, 1)       # [Hkv, T, D]
        v = linear(h, pre + "self_attn.v_proj").reshape(t, n_kv, d).transpose(0, 1)
        group = n_head // n_kv
        k, v = k.repeat_interleave(group, 0), v.repeat_interleave(group, 0)                 # [H, T, D]
        x = x + linear(attend(rotate(q, d, base, scaling), rotate(k, d, base, scaling), v), pre + "self_attn.o_proj")
        h = rms_norm(x, p[pre + "post_attention_layernorm.weight"], eps)
        gate, up = linear(h, pre + "mlp.gate_proj"), linear(h, pre + "mlp.up_proj")
        x = x + linear(gate * torch.sigmoid(gate) * up, pre + "mlp.down_proj")
    x = rms_norm(x, p["model.norm.weight"], eps)
    head = p["model.embed_tokens.weight"] if c.get("tie_word_embeddings", False) else p["lm_head.weight"]
    return x @ head.T


FORWARDS = {"gpt2": gpt2, "gpt_neox": gpt_neox, "llama": llama, "qwen2": llama}


def main(folder, out, tokens):
    folder = Path(folder)
    config = json.loads((folder / "config.json").read_text())
    forward = FORWARDS.get(config["model_type"])
    if forward is None:
        raise SystemExit(f"model_type {config['model_type']} has no reference forward here")
    params = read_model(folder)
    with torch.no_grad():
        logits = forward(config, params, torch.tensor(tokens))
    Path(out).write_text(json.dumps({"model_type": config["model_type"], "tokens": tokens,
                                     "logits": [[round(float(z), 7) for z in row] for row in logits]}) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], [int(s) for s in sys.argv[3].split(",")])
