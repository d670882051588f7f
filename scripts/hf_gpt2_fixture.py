#!/usr/bin/env python3
"""Writes a tiny GPT-2-shaped Hugging Face folder and the logits of a reference forward pass, for the import test.

    /usr/bin/python3 scripts/hf_gpt2_fixture.py src/test/resources/hf-gpt2-tiny

Written independently of rlhf4j's Java writer and model: the byte-to-unicode table, the safetensors bytes
and the GPT-2 forward (gelu_new, LayerNorm epsilon 1e-5, tied LM head) are done here with torch only. The
folder is laid out as GPT2LMHeadModel saves it: "transformer."-prefixed names, the causal-mask buffers
h.N.attn.bias, an lm_head.weight equal to wte, and vocab.json + merges.txt with <|endoftext|> last; the same
tokenizer as a tokenizer.json (the layout of GPT-2's on the Hub) goes into the sibling folder
<out>-tokenizer-json.
"""
import json
import math
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hf_reference_logits  # noqa: E402


def byte_to_unicode():
    # GPT-2's reversible byte -> printable character table: printable bytes map to themselves, the others to
    # characters from 256 upwards, in byte order.
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    order = printable + [b for b in range(256) if b not in printable]
    return table, order


def layer_norm(x, g, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = ((x - mu) ** 2).mean(-1, keepdim=True)
    return (x - mu) / torch.sqrt(var + eps) * g + b


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x ** 3)))


def forward(p, tokens, n_layer, n_head, eps):
    t = len(tokens)
    x = p["wte.weight"][tokens] + p["wpe.weight"][:t]
    c = x.shape[-1]
    d = c // n_head
    mask = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for l in range(n_layer):
        h = layer_norm(x, p[f"h.{l}.ln_1.weight"], p[f"h.{l}.ln_1.bias"], eps)
        qkv = h @ p[f"h.{l}.attn.c_attn.weight"] + p[f"h.{l}.attn.c_attn.bias"]
        q, k, v = qkv.split(c, dim=-1)
        q = q.view(t, n_head, d).transpose(0, 1)
        k = k.view(t, n_head, d).transpose(0, 1)
        v = v.view(t, n_head, d).transpose(0, 1)
        att = (q @ k.transpose(-1, -2)) / math.sqrt(d)
        att = att.masked_fill(~mask, float("-inf")).softmax(-1)
        y = (att @ v).transpose(0, 1).reshape(t, c)
        x = x + y @ p[f"h.{l}.attn.c_proj.weight"] + p[f"h.{l}.attn.c_proj.bias"]
        h2 = layer_norm(x, p[f"h.{l}.ln_2.weight"], p[f"h.{l}.ln_2.bias"], eps)
        m = gelu_new(h2 @ p[f"h.{l}.mlp.c_fc.weight"] + p[f"h.{l}.mlp.c_fc.bias"])
        x = x + m @ p[f"h.{l}.mlp.c_proj.weight"] + p[f"h.{l}.mlp.c_proj.bias"]
    x = layer_norm(x, p["ln_f.weight"], p["ln_f.bias"], eps)
    return x @ p["wte.weight"].T


def main(out):
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    table, order = byte_to_unicode()
    vocab = {table[b]: i for i, b in enumerate(order)}
    sp = table[ord(" ")]
    merges = [("h", "e"), (sp, "t"), (sp + "t", "he"), ("i", "s"), (sp, "is"), ("o", "r"), (sp, "w"), (sp + "w", "or")]
    for a, b in merges:
        vocab[a + b] = len(vocab)
    vocab["<|endoftext|>"] = len(vocab)
    n_layer, n_head, n_embd, n_pos, eps = 2, 2, 16, 32, 1e-5
    v = len(vocab)

    torch.manual_seed(7)
    p = {"wte.weight": torch.randn(v, n_embd) * 0.3, "wpe.weight": torch.randn(n_pos, n_embd) * 0.1}
    for l in range(n_layer):
        p[f"h.{l}.ln_1.weight"] = 1 + 0.1 * torch.randn(n_embd)
        p[f"h.{l}.ln_1.bias"] = 0.1 * torch.randn(n_embd)
        p[f"h.{l}.attn.c_attn.weight"] = torch.randn(n_embd, 3 * n_embd) * 0.3
        p[f"h.{l}.attn.c_attn.bias"] = 0.1 * torch.randn(3 * n_embd)
        p[f"h.{l}.attn.c_proj.weight"] = torch.randn(n_embd, n_embd) * 0.3
        p[f"h.{l}.attn.c_proj.bias"] = 0.1 * torch.randn(n_embd)
        p[f"h.{l}.ln_2.weight"] = 1 + 0.1 * torch.randn(n_embd)
        p[f"h.{l}.ln_2.bias"] = 0.1 * torch.randn(n_embd)
        p[f"h.{l}.mlp.c_fc.weight"] = torch.randn(n_embd, 4 * n_embd) * 0.3
        p[f"h.{l}.mlp.c_fc.bias"] = 0.1 * torch.randn(4 * n_embd)
        p[f"h.{l}.mlp.c_proj.weight"] = torch.randn(4 * n_embd, n_embd) * 0.3
        p[f"h.{l}.mlp.c_proj.bias"] = 0.1 * torch.randn(n_embd)
    p["ln_f.weight"] = 1 + 0.1 * torch.randn(n_embd)
    p["ln_f.bias"] = 0.1 * torch.randn(n_embd)

    tensors = {}
    for name, t in p.items():
        tensors["transformer." + name] = t
        if name.endswith("ln_1.bias"):
            layer = name.split(".")[1]
            tensors[f"transformer.h.{layer}.attn.bias"] = torch.tril(torch.ones(n_pos, n_pos)).view(1, 1, n_pos, n_pos)
    tensors["lm_head.weight"] = p["wte.weight"]
    hf_reference_logits.write_safetensors(out / "model.safetensors",
                                          {k: t.to(torch.float32) for k, t in tensors.items()})

    config = {"architectures": ["GPT2LMHeadModel"], "model_type": "gpt2", "activation_function": "gelu_new",
              "layer_norm_epsilon": eps, "n_layer": n_layer, "n_head": n_head, "n_embd": n_embd,
              "n_positions": n_pos, "n_ctx": n_pos, "vocab_size": v, "bos_token_id": v - 1, "eos_token_id": v - 1}
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "merges.txt").write_text("#version: 0.2\n" + "".join(f"{a} {b}\n" for a, b in merges), encoding="utf-8")
    # the same tokenizer as one tokenizer.json, in a folder of its own (the import test pairs it with this model)
    tj = {"version": "1.0", "truncation": None, "padding": None,
          "added_tokens": [{"id": vocab["<|endoftext|>"], "content": "<|endoftext|>", "single_word": False,
                            "lstrip": False, "rstrip": False, "normalized": True, "special": True}],
          "normalizer": None,
          "pre_tokenizer": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": True},
          "post_processor": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": False, "use_regex": True},
          "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
          "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": "",
                    "end_of_word_suffix": "", "fuse_unk": False, "byte_fallback": False, "vocab": vocab,
                    "merges": [f"{a} {b}" for a, b in merges]}}
    alt = out.parent / (out.name + "-tokenizer-json")
    alt.mkdir(parents=True, exist_ok=True)
    (alt / "tokenizer.json").write_text(json.dumps(tj, ensure_ascii=False) + "\n", encoding="utf-8")

    # "The word is the! " as GPT-2's byte-level BPE splits it with these merges, then the end of text
    tokens = [vocab["T"], vocab["he"], vocab[sp + "wor"], vocab["d"], vocab[sp + "is"], vocab[sp + "the"], vocab["!"],
              vocab[sp], vocab["<|endoftext|>"]]
    with torch.no_grad():
        logits = forward(p, torch.tensor(tokens), n_layer, n_head, eps)
    (out / "expected_logits.json").write_text(json.dumps(
        {"tokens": tokens, "text": "The word is the! ", "logits": [[round(float(z), 7) for z in row] for row in logits]})
        + "\n")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "src/test/resources/hf-gpt2-tiny")
