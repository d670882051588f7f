#!/usr/bin/env python3
"""Writes a Llama-shaped and a Qwen2-shaped Hugging Face folder with random weights, and the logits of each computed
by scripts/hf_reference_logits.py (an implementation of the two architectures written from their definitions in
transformers, not from rlhf4j's Java model), for the import tests:

    /usr/bin/python3 scripts/hf_llama_fixture.py [TOKENIZERS_DIR OUT_DIR]

TOKENIZERS_DIR (src/test/resources/hf) holds llama3-tiny/ and qwen2-tiny/, each with tokenizer.json and
tokenizer_config.json (the test tokenizers of scripts/hf_llama_tokenizer_fixture.py, with their chat templates);
they are copied into OUT_DIR/llama-tiny and OUT_DIR/qwen2-tiny (OUT_DIR: src/test/resources/hf-import) beside the
model. The two folders cover what the importer must handle:
- llama-tiny: LlamaForCausalLM, grouped-query attention (4 query heads, 2 key/value heads), SwiGLU, no biases,
  an untied lm_head, rope_theta 500000 with Llama 3.2's rope_scaling (llama3; an original context of 16 so that
  every kind of frequency occurs in a head of 8), rms_norm_eps 1e-5, BF16 tensors in two shards with an index;
- qwen2-tiny: Qwen2ForCausalLM, 4 query heads and 1 key/value head, q/k/v biases, a tied head, rope_theta 1e6,
  rms_norm_eps 1e-6, F16 tensors in one model.safetensors.
"""
import json
import shutil
import sys
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hf_reference_logits  # noqa: E402

def vocab_size(tokenizer_dir):
    tj = json.loads((tokenizer_dir / "tokenizer.json").read_text(encoding="utf-8"))
    ids = list(tj["model"]["vocab"].values()) + [t["id"] for t in tj.get("added_tokens", [])]
    return max(ids) + 1


def weights(v, width, layers, heads, kv_heads, inner, qkv_bias, tied, dtype, seed):
    g = torch.Generator().manual_seed(seed)
    rnd = lambda *shape, s=0.3: torch.randn(*shape, generator=g) * s
    d = width // heads
    p = {"model.embed_tokens.weight": rnd(v, width)}
    for l in range(layers):
        pre = f"model.layers.{l}."
        p[pre + "input_layernorm.weight"] = 1 + rnd(width, s=0.1)
        for name, rows in (("q_proj", heads * d), ("k_proj", kv_heads * d), ("v_proj", kv_heads * d)):
            p[pre + f"self_attn.{name}.weight"] = rnd(rows, width)
            if qkv_bias:
                p[pre + f"self_attn.{name}.bias"] = rnd(rows, s=0.1)
        p[pre + "self_attn.o_proj.weight"] = rnd(width, heads * d)
        p[pre + "post_attention_layernorm.weight"] = 1 + rnd(width, s=0.1)
        p[pre + "mlp.gate_proj.weight"] = rnd(inner, width)
        p[pre + "mlp.up_proj.weight"] = rnd(inner, width)
        p[pre + "mlp.down_proj.weight"] = rnd(width, inner)
    p["model.norm.weight"] = 1 + rnd(width, s=0.1)
    if not tied:
        p["lm_head.weight"] = rnd(v, width)
    return {k: t.to(dtype) for k, t in p.items()}


def folder(out, tokenizer_dir, config, tensors, shards, tokens):
    out.mkdir(parents=True, exist_ok=True)
    for f in ("tokenizer.json", "tokenizer_config.json"):
        shutil.copy(tokenizer_dir / f, out / f)
    (out / "config.json").write_text(json.dumps(config, indent=2) + "\n")
    names = list(tensors)
    if shards == 1:
        hf_reference_logits.write_safetensors(out / "model.safetensors", tensors)
    else:
        weight_map = {}
        per = (len(names) + shards - 1) // shards
        for i in range(shards):
            file = f"model-{i + 1:05d}-of-{shards:05d}.safetensors"
            part = {n: tensors[n] for n in names[i * per:(i + 1) * per]}
            hf_reference_logits.write_safetensors(out / file, part)
            weight_map.update({n: file for n in part})
        total = sum(t.numel() * t.element_size() for t in tensors.values())
        (out / "model.safetensors.index.json").write_text(json.dumps(
            {"metadata": {"total_size": total}, "weight_map": weight_map}, indent=2) + "\n")
    hf_reference_logits.main(out, out / "expected_logits.json", tokens)


def main(tokenizers, out):
    tokenizers, out = Path(tokenizers), Path(out)
    for name in ("llama-tiny", "qwen2-tiny"):
        shutil.rmtree(out / name, ignore_errors=True)

    tok = tokenizers / "llama3-tiny"
    v = vocab_size(tok)
    llama = {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 32,
             "intermediate_size": 48, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 2,
             "head_dim": 8, "max_position_embeddings": 256, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
             "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                              "original_max_position_embeddings": 16},
             "hidden_act": "silu", "attention_bias": False, "mlp_bias": False,
             "tie_word_embeddings": False, "vocab_size": v, "torch_dtype": "bfloat16",
             "bos_token_id": 0, "eos_token_id": 1}
    folder(out / "llama-tiny", tok, llama, weights(v, 32, 2, 4, 2, 48, False, False, torch.bfloat16, 3), 2,
           [0, 5, 9, 200, 7, 7, 42, min(260, v - 1), 13, 99, 3, 150])

    tok = tokenizers / "qwen2-tiny"
    v = vocab_size(tok)
    qwen2 = {"architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2", "hidden_size": 32,
             "intermediate_size": 64, "num_hidden_layers": 2, "num_attention_heads": 4, "num_key_value_heads": 1,
             "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "rope_theta": 1000000.0, "hidden_act": "silu",
             "tie_word_embeddings": True, "use_sliding_window": False, "vocab_size": v, "torch_dtype": "float16",
             "bos_token_id": None, "eos_token_id": 1}
    folder(out / "qwen2-tiny", tok, qwen2, weights(v, 32, 2, 4, 1, 64, True, True, torch.float16, 5), 1,
           [5, 9, 200, 7, 7, 42, min(260, v - 1), 13, 99, 3, 150, 0])


if __name__ == "__main__":
    main(*(sys.argv[1:3] if len(sys.argv) > 2 else ["src/test/resources/hf", "src/test/resources/hf-import"]))
