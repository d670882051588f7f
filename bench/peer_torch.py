#!/usr/bin/env python3
"""PyTorch counterpart of `./train bench`: the same GPT and the same timed work, for `./train bench --peer`.

Model: GPT-2 blocks (pre-LayerNorm, causal self-attention, MLP with the sigmoid GELU x*sigmoid(1.702x)),
embedding tied to the LM head, FLOAT. Training step: forward, cross-entropy over every position,
backward, global-norm clipping to 1.0, AdamW (lr 3e-4, weight decay 0.01), reading the loss.
Sampling: a key/value cache, gen_batch prompts of gen_prompt_tokens random tokens, gen_tokens new tokens
each at temperature 1. Warm-up before timing: at least two steps (one generation) and at least 5 seconds.
--precision bf16 runs both under torch.autocast("cpu", dtype=torch.bfloat16): matrix products in BF16 with FP32
weights, gradients and optimizer state, as a PyTorch user turns mixed precision on with one line.
Prints one JSON line per figure.
"""
import contextlib
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F

WARMUP_SECONDS = 5.0


class Block(torch.nn.Module):
    def __init__(self, dim, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = torch.nn.LayerNorm(dim)
        self.qkv = torch.nn.Linear(dim, 3 * dim)
        self.proj = torch.nn.Linear(dim, dim)
        self.ln2 = torch.nn.LayerNorm(dim)
        self.fc = torch.nn.Linear(dim, 4 * dim)
        self.out = torch.nn.Linear(4 * dim, dim)

    def attention(self, x, cache):
        b, t, c = x.shape
        d = c // self.heads
        q, k, v = self.qkv(x).view(b, t, 3, self.heads, d).permute(2, 0, 3, 1, 4)  # each [B, H, T, D]
        if cache is not None:
            if "k" in cache:
                k = torch.cat([cache["k"], k], dim=2)
                v = torch.cat([cache["v"], v], dim=2)
            cache["k"], cache["v"] = k, v
        scores = q @ k.transpose(-1, -2) / math.sqrt(d)                             # [B, H, T, L]
        length = k.shape[2]
        if t > 1:
            allowed = torch.ones(t, length, dtype=torch.bool).tril(length - t)
            scores = scores.masked_fill(~allowed, float("-inf"))
        y = scores.softmax(dim=-1) @ v                                              # [B, H, T, D]
        return self.proj(y.transpose(1, 2).reshape(b, t, c))

    def forward(self, x, cache=None):
        x = x + self.attention(self.ln1(x), cache)
        h = self.fc(self.ln2(x))
        return x + self.out(h * torch.sigmoid(1.702 * h))


class Gpt(torch.nn.Module):
    def __init__(self, vocab, ctx, dim, heads, layers):
        super().__init__()
        self.wte = torch.nn.Embedding(vocab, dim)
        self.wpe = torch.nn.Embedding(ctx, dim)
        self.blocks = torch.nn.ModuleList(Block(dim, heads) for _ in range(layers))
        self.ln_f = torch.nn.LayerNorm(dim)
        for p in self.parameters():
            if p.dim() == 2:
                torch.nn.init.normal_(p, std=0.02)

    def forward(self, tokens, caches=None, start=0):
        t = tokens.shape[1]
        x = self.wte(tokens) + self.wpe(torch.arange(start, start + t))
        for i, block in enumerate(self.blocks):
            x = block(x, None if caches is None else caches[i])
        return self.ln_f(x) @ self.wte.weight.t()                                   # [B, T, V]


def warm_up(action, times):
    begin = time.perf_counter()
    done = 0
    while done < times or time.perf_counter() - begin < WARMUP_SECONDS:
        action()
        done += 1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, default in [("layers", 2), ("dim", 128), ("heads", 4), ("ctx", 128), ("batch", 8), ("vocab", 1024),
                          ("gen_batch", 8), ("gen_tokens", 48), ("gen_prompt_tokens", 8), ("steps", 10),
                          ("threads", 0)]:
        parser.add_argument("--" + name, type=int, default=default)
    parser.add_argument("--precision", choices=["fp32", "bf16"], default="fp32")
    a = parser.parse_args()
    autocast = (lambda: torch.autocast("cpu", dtype=torch.bfloat16)) if a.precision == "bf16" \
        else contextlib.nullcontext
    if a.threads > 0:
        torch.set_num_threads(a.threads)
    torch.manual_seed(1337)
    model = Gpt(a.vocab, a.ctx, a.dim, a.heads, a.layers)
    params = sum(p.numel() for p in model.parameters())
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-4, weight_decay=0.01)
    tokens = torch.randint(0, a.vocab, (a.batch, a.ctx))
    targets = torch.randint(0, a.vocab, (a.batch, a.ctx))

    def train_step():
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            logits = model(tokens)
        loss = F.cross_entropy(logits.float().view(-1, a.vocab), targets.view(-1))
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        loss.item()

    warm_up(train_step, 2)
    begin = time.perf_counter()
    for _ in range(a.steps):
        train_step()
    per_step = (time.perf_counter() - begin) / a.steps
    print(json.dumps({"peer": "torch", "version": torch.__version__, "precision": a.precision,
                      "threads": torch.get_num_threads(),
                      "params": params, "train_ms_per_step": round(per_step * 1000, 2),
                      "train_tokens_per_s": round(a.batch * a.ctx / per_step, 1)}), flush=True)

    prompt = torch.randint(0, a.vocab, (a.gen_batch, a.gen_prompt_tokens))

    @torch.inference_mode()
    def generate():
        with autocast():
            sample()

    def sample():
        caches = [{} for _ in model.blocks]
        logits = model(prompt, caches, 0)[:, -1]
        position = prompt.shape[1]
        for _ in range(a.gen_tokens):
            nxt = torch.multinomial(logits.float().softmax(dim=-1), 1)              # [B, 1]
            logits = model(nxt, caches, position)[:, -1]
            position += 1

    warm_up(generate, 1)
    begin = time.perf_counter()
    generate()
    seconds = time.perf_counter() - begin
    print(json.dumps({"peer": "torch", "precision": a.precision, "gen_tokens_per_s": round(a.gen_batch * a.gen_tokens / seconds, 1),
                      "gen_batch": a.gen_batch, "gen_tokens": a.gen_tokens}), flush=True)


if __name__ == "__main__":
    main()
