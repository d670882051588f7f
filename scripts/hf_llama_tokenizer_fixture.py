#!/usr/bin/env python3
"""Writes two tiny Hugging Face tokenizer folders laid out as Llama-3 and Qwen2 ship theirs, for the tokenizer tests.

    python3 scripts/hf_llama_tokenizer_fixture.py src/test/resources/hf

<out>/llama3-tiny: a byte-level BPE with Llama-3's Split regex, no normalizer, ignore_merges true, merges written
as pairs [["a", "b"]], Llama-3's special tokens, and Llama-3.2-Instruct's chat template (headers, <|eot_id|>).
<out>/qwen2-tiny: the same kind of BPE with Qwen2's regex (single digits), an NFC normalizer, merges as "a b"
strings, ChatML special tokens plus two plain (special: false) added tokens, and Qwen2.5-Instruct's template.

Python 3 standard library only, and written independently of rlhf4j: the merges are trained here on a small
corpus split by an approximation of the regex (the merges only need to be plausible; the tests compare the Java
tokenizer with Hugging Face's own JavaScript one on these files). A few whole words are added to the vocabulary
with no merges that build them, as Llama-3's vocabulary has, so that ignore_merges changes the ids. The templates
are the models' published ones, copied as text.
"""
import collections
import json
import re
import sys
from pathlib import Path

LLAMA3_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*"
                r"|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN2_REGEX = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*"
               r"|\s*[\r\n]+|\s+(?!\S)|\s+")

CORPUS = """
The quick brown fox jumps over the lazy dog. I'm sure it's fine; they're here and we'll see what you've done.
I'LL SAY IT AGAIN: DON'T PANIC. He'd said 12345 times that 3.14159 is close to pi, and 2024-07-26 is a date.
Grüße aus München! Naïve café owners serve crème brûlée. Ça va? Ελληνικά κείμενα. Русский текст тоже здесь.
日本語のテキストと中文文本。 한국어 문장도 있습니다. Emoji: 😀 🎉 👍🏽 — and symbols #$%&*() [] {} <> ~ ^.
def main(): return {"key": [1, 2, 3]}  # code with    many   spaces
Assistant: Hello! How can I help you today? User: Correct this sentence: He go home. Assistant: He goes home.
The weather in Paris is sunny, 21.5 degrees. Cutting Knowledge Date: December 2023. Today Date: 26 Jul 2024.
You are a helpful assistant. You are Qwen, created by Alibaba Cloud.
""" * 3

# Whole words in the vocabulary without merges that make them (Llama-3's vocabulary has many): with ignore_merges
# a piece equal to one of them is that single token.
WHOLE_WORDS = [" inconceivable", " Supercalifragilistic", "inconceivable"]

LLAMA32_TEMPLATE = r"""{{- bos_token }}
{%- if custom_tools is defined %}
    {%- set tools = custom_tools %}
{%- endif %}
{%- if not tools_in_user_message is defined %}
    {%- set tools_in_user_message = true %}
{%- endif %}
{%- if not date_string is defined %}
    {%- if strftime_now is defined %}
        {%- set date_string = strftime_now("%d %b %Y") %}
    {%- else %}
        {%- set date_string = "26 Jul 2024" %}
    {%- endif %}
{%- endif %}
{%- if not tools is defined %}
    {%- set tools = none %}
{%- endif %}

{#- This block extracts the system message, so we can slot it into the right place. #}
{%- if messages[0]['role'] == 'system' %}
    {%- set system_message = messages[0]['content']|trim %}
    {%- set messages = messages[1:] %}
{%- else %}
    {%- set system_message = "" %}
{%- endif %}

{#- System message #}
{{- "<|start_header_id|>system<|end_header_id|>\n\n" }}
{%- if tools is not none %}
    {{- "Environment: ipython\n" }}
{%- endif %}
{{- "Cutting Knowledge Date: December 2023\n" }}
{{- "Today Date: " + date_string + "\n\n" }}
{%- if tools is not none and not tools_in_user_message %}
    {{- "You have access to the following functions. To call a function, please respond with JSON for a function call." }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
{%- endif %}
{{- system_message }}
{{- "<|eot_id|>" }}

{#- Custom tools are passed in a user message with some extra guidance #}
{%- if tools_in_user_message and not tools is none %}
    {#- Extract the first user message so we can plug it in here #}
    {%- if messages | length != 0 %}
        {%- set first_user_message = messages[0]['content']|trim %}
        {%- set messages = messages[1:] %}
    {%- else %}
        {{- raise_exception("Cannot put tools in the first user message when there's no first user message!") }}
{%- endif %}
    {{- '<|start_header_id|>user<|end_header_id|>\n\n' -}}
    {{- "Given the following functions, please respond with a JSON for a function call " }}
    {{- "with its proper arguments that best answers the given prompt.\n\n" }}
    {{- 'Respond in the format {"name": function name, "parameters": dictionary of argument name and its value}.' }}
    {{- "Do not use variables.\n\n" }}
    {%- for t in tools %}
        {{- t | tojson(indent=4) }}
        {{- "\n\n" }}
    {%- endfor %}
    {{- first_user_message + "<|eot_id|>"}}
{%- endif %}

{%- for message in messages %}
    {%- if not (message.role == 'ipython' or message.role == 'tool' or 'tool_calls' in message) %}
        {{- '<|start_header_id|>' + message['role'] + '<|end_header_id|>\n\n'+ message['content'] | trim + '<|eot_id|>' }}
    {%- elif 'tool_calls' in message %}
        {%- if not message.tool_calls|length == 1 %}
            {{- raise_exception("This model only supports single tool-calls at once!") }}
        {%- endif %}
        {%- set tool_call = message.tool_calls[0].function %}
        {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' -}}
        {{- '{"name": "' + tool_call.name + '", ' }}
        {{- '"parameters": ' }}
        {{- tool_call.arguments | tojson }}
        {{- "}" }}
        {{- "<|eot_id|>" }}
    {%- elif message.role == "tool" or message.role == "ipython" %}
        {{- "<|start_header_id|>ipython<|end_header_id|>\n\n" }}
        {%- if message.content is mapping or message.content is iterable %}
            {{- message.content | tojson }}
        {%- else %}
            {{- message.content }}
        {%- endif %}
        {{- "<|eot_id|>" }}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|start_header_id|>assistant<|end_header_id|>\n\n' }}
{%- endif %}
"""

QWEN25_TEMPLATE = r"""{%- if tools %}
    {{- '<|im_start|>system\n' }}
    {%- if messages[0]['role'] == 'system' %}
        {{- messages[0]['content'] }}
    {%- else %}
        {{- 'You are Qwen, created by Alibaba Cloud. You are a helpful assistant.' }}
    {%- endif %}
    {{- "\n\n# Tools\n\nYou may call one or more functions to assist with the user query.\n\nYou are provided with function signatures within <tools></tools> XML tags:\n<tools>" }}
    {%- for tool in tools %}
        {{- "\n" }}
        {{- tool | tojson }}
    {%- endfor %}
    {{- "\n</tools>\n\nFor each function call, return a json object with function name and arguments within <tool_call></tool_call> XML tags:\n<tool_call>\n{\"name\": <function-name>, \"arguments\": <args-json-object>}\n</tool_call><|im_end|>\n" }}
{%- else %}
    {%- if messages[0]['role'] == 'system' %}
        {{- '<|im_start|>system\n' + messages[0]['content'] + '<|im_end|>\n' }}
    {%- else %}
        {{- '<|im_start|>system\nYou are Qwen, created by Alibaba Cloud. You are a helpful assistant.<|im_end|>\n' }}
    {%- endif %}
{%- endif %}
{%- for message in messages %}
    {%- if (message.role == "user") or (message.role == "system" and not loop.first) or (message.role == "assistant" and not message.tool_calls) %}
        {{- '<|im_start|>' + message.role + '\n' + message.content + '<|im_end|>' + '\n' }}
    {%- elif message.role == "assistant" %}
        {{- '<|im_start|>' + message.role }}
        {%- if message.content %}
            {{- '\n' + message.content }}
        {%- endif %}
        {%- for tool_call in message.tool_calls %}
            {%- if tool_call.function is defined %}
                {%- set tool_call = tool_call.function %}
            {%- endif %}
            {{- '\n<tool_call>\n{"name": "' }}
            {{- tool_call.name }}
            {{- '", "arguments": ' }}
            {{- tool_call.arguments | tojson }}
            {{- '}\n</tool_call>' }}
        {%- endfor %}
        {{- '<|im_end|>\n' }}
    {%- elif message.role == "tool" %}
        {%- if (loop.index0 == 0) or (messages[loop.index0 - 1].role != "tool") %}
            {{- '<|im_start|>user' }}
        {%- endif %}
        {{- '\n<tool_response>\n' }}
        {{- message.content }}
        {{- '\n</tool_response>' }}
        {%- if loop.last or (messages[loop.index0 + 1].role != "tool") %}
            {{- '<|im_end|>\n' }}
        {%- endif %}
    {%- endif %}
{%- endfor %}
{%- if add_generation_prompt %}
    {{- '<|im_start|>assistant\n' }}
{%- endif %}
"""


def byte_to_unicode():
    """GPT-2's reversible byte -> printable character table, which Llama-3 and Qwen2 keep."""
    printable = list(range(ord("!"), ord("~") + 1)) + list(range(0xA1, 0xAC + 1)) + list(range(0xAE, 0xFF + 1))
    table = {}
    extra = 0
    for b in range(256):
        if b in printable:
            table[b] = chr(b)
        else:
            table[b] = chr(256 + extra)
            extra += 1
    return table


BYTES = byte_to_unicode()


def to_unicode(text):
    return "".join(BYTES[b] for b in text.encode("utf-8"))


def rough_pieces(text, digits):
    """Python's re has no \\p{L}: letters are [^\\W\\d_], close enough to choose merges by."""
    number = r"\d{1,%d}" % digits
    pattern = (r"'(?:s|t|re|ve|m|ll|d)|[^\r\n\w]?[^\W\d_]+|" + number +
               r"| ?[^\s\w]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
    return re.findall(pattern, text, flags=re.IGNORECASE)


def train(text, digits, merges_wanted):
    """Plain byte-level BPE: the most frequent adjacent pair is merged, ties broken by the pair itself."""
    words = collections.Counter(tuple(to_unicode(p)) for p in rough_pieces(text, digits))
    merges = []
    for _ in range(merges_wanted):
        pairs = collections.Counter()
        for word, n in words.items():
            for a, b in zip(word, word[1:]):
                pairs[(a, b)] += n
        if not pairs:
            break
        best = max(pairs.items(), key=lambda kv: (kv[1], kv[0]))[0]
        merges.append(best)
        merged = collections.Counter()
        for word, n in words.items():
            out = []
            i = 0
            while i < len(word):
                if i + 1 < len(word) and (word[i], word[i + 1]) == best:
                    out.append(word[i] + word[i + 1])
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            merged[tuple(out)] += n
        words = merged
    return merges


def vocabulary(merges, whole_words):
    vocab = {}
    for b in range(256):
        vocab[BYTES[b]] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:
            vocab[a + b] = len(vocab)
    for w in whole_words:
        u = to_unicode(w)
        if u not in vocab:
            vocab[u] = len(vocab)
    return vocab


def added(tokens, first_id):
    return [{"id": first_id + i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
             "normalized": False, "special": special} for i, (t, special) in enumerate(tokens)]


def tokenizer_json(regex, normalizer, vocab, merges, merges_as_pairs, ignore_merges, added_tokens, post_processor):
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": added_tokens,
        "normalizer": normalizer,
        "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
            {"type": "Split", "pattern": {"Regex": regex}, "behavior": "Isolated", "invert": False},
            {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True, "use_regex": False}]},
        "post_processor": post_processor,
        "decoder": {"type": "ByteLevel", "add_prefix_space": True, "trim_offsets": True, "use_regex": True},
        "model": {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                  "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": False,
                  "ignore_merges": ignore_merges, "vocab": vocab,
                  "merges": [[a, b] for a, b in merges] if merges_as_pairs else [a + " " + b for a, b in merges]},
    }


def write(folder, files):
    folder.mkdir(parents=True, exist_ok=True)
    for name, content in files.items():
        (folder / name).write_text(json.dumps(content, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def added_tokens_decoder(tokens):
    return {str(t["id"]): {k: t[k] for k in ("content", "lstrip", "normalized", "rstrip", "single_word", "special")}
            for t in tokens}


def llama3(out):
    merges = train(CORPUS, 3, 300)
    vocab = vocabulary(merges, WHOLE_WORDS)
    specials = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
                "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|reserved_special_token_2|>",
                "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>", "<|python_tag|>"]
    tokens = added([(t, True) for t in specials], len(vocab))
    bos = "<|begin_of_text|>"
    post = {"type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": bos, "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": bos, "type_id": 1}}, {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {bos: {"id": bos, "ids": [tokens[0]["id"]], "tokens": [bos]}}}
    write(out / "llama3-tiny", {
        "tokenizer.json": tokenizer_json(LLAMA3_REGEX, None, vocab, merges, True, True, tokens, post),
        "tokenizer_config.json": {
            "added_tokens_decoder": added_tokens_decoder(tokens),
            "bos_token": bos,
            "chat_template": LLAMA32_TEMPLATE,
            "clean_up_tokenization_spaces": True,
            "eos_token": "<|eot_id|>",
            "model_input_names": ["input_ids", "attention_mask"],
            "model_max_length": 131072,
            "tokenizer_class": "PreTrainedTokenizerFast",
        },
    })


def qwen2(out):
    merges = train(CORPUS, 1, 300)
    vocab = vocabulary(merges, [])
    tokens = added([("<|endoftext|>", True), ("<|im_start|>", True), ("<|im_end|>", True),
                    ("<|object_ref_start|>", True), ("<tool_call>", False), ("</tool_call>", False)], len(vocab))
    post = {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": False, "use_regex": False}
    write(out / "qwen2-tiny", {
        "tokenizer.json": tokenizer_json(QWEN2_REGEX, {"type": "NFC"}, vocab, merges, False, False, tokens, post),
        "tokenizer_config.json": {
            "add_bos_token": False,
            "add_prefix_space": False,
            "added_tokens_decoder": added_tokens_decoder(tokens),
            "additional_special_tokens": ["<|im_start|>", "<|im_end|>", "<|object_ref_start|>"],
            "bos_token": None,
            "chat_template": QWEN25_TEMPLATE,
            "clean_up_tokenization_spaces": False,
            "eos_token": "<|im_end|>",
            "errors": "replace",
            "model_max_length": 131072,
            "pad_token": "<|endoftext|>",
            "split_special_tokens": False,
            "tokenizer_class": "Qwen2Tokenizer",
            "unk_token": None,
        },
    })


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: hf_llama_tokenizer_fixture.py OUT_DIR")
    out = Path(sys.argv[1])
    llama3(out)
    qwen2(out)


if __name__ == "__main__":
    main()
