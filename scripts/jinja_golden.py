#!/usr/bin/env python3
"""Records what Python's Jinja2, set up as transformers' apply_chat_template sets it up, renders for a set of chat
templates and contexts, as the golden file of rlhf4j's Jinja interpreter test (JinjaTemplateTest).

    pip install jinja2   # 3.1.x; transformers uses the same
    python3 scripts/jinja_golden.py src/test/resources/jinja/golden.json

The environment is transformers': ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True) with the
loopcontrols extension, its tojson (json.dumps without HTML escaping) and raise_exception; strftime_now reads a
fixed clock (2025-03-07 09:05) so the file does not change from day to day. A case whose rendering raises is
recorded as {"error": message}.
"""
import json
import sys
from datetime import datetime
from pathlib import Path

from jinja2.ext import loopcontrols
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXTURES = Path(__file__).resolve().parent.parent / "src" / "test" / "resources" / "hf"
LLAMA32 = json.loads((FIXTURES / "llama3-tiny" / "tokenizer_config.json").read_text())["chat_template"]
QWEN = json.loads((FIXTURES / "qwen2-tiny" / "tokenizer_config.json").read_text())["chat_template"]

SMOL = """{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system
You are a helpful AI assistant named SmolLM, trained by Hugging Face<|im_end|>
' }}{% endif %}{{'<|im_start|>' + message['role'] + '
' + message['content'] + '<|im_end|>' + '
'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant
' }}{% endif %}"""

ZEPHYR = """{% for message in messages %}
{% if message['role'] == 'user' %}
{{ '<|user|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'system' %}
{{ '<|system|>
' + message['content'] + eos_token }}
{% elif message['role'] == 'assistant' %}
{{ '<|assistant|>
'  + message['content'] + eos_token }}
{% endif %}
{% if loop.last and add_generation_prompt %}
{{ '<|assistant|>' }}
{% endif %}
{% endfor %}"""

LLAMA3 = "{% set loop_messages = messages %}{% for message in loop_messages %}{% set content = '<|start_header_id|>' + message['role'] + '<|end_header_id|>\\n\\n'+ message['content'] | trim + '<|eot_id|>' %}{% if loop.index0 == 0 %}{% set content = bos_token + content %}{% endif %}{{ content }}{% endfor %}{% if add_generation_prompt %}{{ '<|start_header_id|>assistant<|end_header_id|>\\n\\n' }}{% endif %}"

convs = [
  [{"role":"user","content":"Hi"},{"role":"assistant","content":"Hello!"}],
  [{"role":"system","content":"  Be brief.  "},{"role":"user","content":" Grüße\r\n I'LL 12345 😀 "},{"role":"assistant","content":"\nOk  "}],
  [{"role":"user","content":"a"},{"role":"assistant","content":"b"},{"role":"user","content":"c"}],
]
tools = [{"type":"function","function":{"name":"get_weather","description":"Weather for a city","parameters":{"type":"object","properties":{"city":{"type":"string","description":"The city"},"n":{"type":"integer"}},"required":["city"]}}}]
toolconv = [{"role":"user","content":"Weather in Paris?"},{"role":"assistant","content":"","tool_calls":[{"type":"function","function":{"name":"get_weather","arguments":{"city":"Paris","n":3}}}]},{"role":"tool","content":"{\"temp\": 21.5}"},{"role":"assistant","content":"It is 21.5°C."}]
cases = []
for t in [SMOL, QWEN, LLAMA32, ZEPHYR, LLAMA3]:
    for c in convs:
        for g in [False, True]:
            cases.append({"template": t, "context": {"messages": c, "add_generation_prompt": g, "bos_token": "<s>", "eos_token": "</s>", "tools": None, "documents": None}})
    cases.append({"template": t, "context": {"messages": toolconv, "add_generation_prompt": True, "bos_token": "<s>", "eos_token": "</s>", "tools": tools}})
synthetic = [
 "{% for i in range(3) %}{{ loop.index }}{{ loop.revindex0 }}{{ loop.first }}{{ loop.last }}{% if not loop.last %},{% endif %}{% endfor %}",
 "  {% if true %}\n    x\n  {% endif %}\n  y {# c #}\n{#- d -#}   z\n{%+ if 1 %}p{% endif +%}\n{{- ' q ' -}}\n r",
 "{{ 'a,b,,c'.split(',') }}|{{ '  a b  '.split() }}|{{ 'x'.join(['1','2']) }}|{{ 'Hello World'.startswith(('He','x')) }}|{{ 'abc'[::-1] }}|{{ [1,2,3,4][1:3] }}|{{ [1,2,3][-1] }}",
 "{{ 1/2 }}|{{ 7//2 }}|{{ -7 % 3 }}|{{ 2**3**2 }}|{{ 10 - 2 - 3 }}|{{ 'a' ~ 1 ~ none ~ true }}|{{ 3 * 'ab' }}|{{ 1 + 2.5 }}|{{ 1e20 }}|{{ 0.1 + 0.2 }}|{{ 1e-5 }}",
 "{{ x is defined }}|{{ x is undefined }}|{{ none is none }}|{{ 1 is number }}|{{ 's' is string }}|{{ {} is mapping }}|{{ [] is iterable }}|{{ 3 is odd }}|{{ 4 is divisibleby 2 }}|{{ 'a' in 'cat' }}|{{ 2 not in [1,2] }}|{{ 1 < 2 < 3 }}",
 "{% set ns = namespace(found=false, n=0) %}{% for m in messages %}{% if m.role == 'assistant' %}{% set ns.found = true %}{% set ns.n = ns.n + 1 %}{% endif %}{% set local = 1 %}{% endfor %}{{ ns.found }} {{ ns.n }} {{ local is defined }}",
 "{% macro show(m, sep=': ') %}{{ m.role }}{{ sep }}{{ m.content|trim }}{% endmacro %}{% for m in messages %}{{ show(m) }}/{{ show(m, sep='=') }};{% endfor %}",
 "{{ messages|selectattr('role', 'equalto', 'user')|map(attribute='content')|join('|') }}|{{ messages|length }}|{{ messages|first|tojson }}|{{ (messages|last).role|upper }}|{{ messages|rejectattr('role','eq','user')|list|length }}",
 "{{ {'b': [1, 2.0, none, true, 'é\"\\n'], 'a': {}}|tojson }}|{{ {'b': 1, 'a': [1, {'c': 2}]}|tojson(indent=2) }}|{{ {'b': 1, 'a': 2}|tojson(sort_keys=true) }}",
 "{{ messages }}|{{ (1, 'a') }}|{{ ('x',) }}|{{ {'k': 'v\\'q'} }}|{{ none }}|{{ [none, false] }}",
 "{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}{% for x in [] %}no{% else %}empty{% endfor %}{% for x in [1,2,3,4] if x is even %}{{ x }}{% endfor %}{% for x in [1,2,3] %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 3 %}{% break %}{% endif %}{{ x }}{% endfor %}",
 "{{ 'hello world'.title() }}|{{ 'hELLO'.capitalize() }}|{{ '  x '|trim }}|{{ 'xxaxx'.strip('x') }}|{{ 'a-b-c'.replace('-', '+', 1) }}|{{ 'abc'.find('c') }}|{{ 'text\nmore\n\nend'|indent(2) }}|{{ 'q'|indent(2, true) }}",
 "{{ x|default('dflt') }}|{{ ''|default('e', true) }}|{{ '5'|int + 1 }}|{{ '2.5'|float }}|{{ -3|abs }}|{{ [3,1,3]|unique|list }}|{{ 'abc'|list }}|{{ [1,2]|reverse|list }}|{{ {'b':1,'a':2}|dictsort }}",
 "{% set a, b = 1, 2 %}{{ a }}{{ b }}{% set t %}block {{ a }}{% endset %}[{{ t }}]{{ 'yes' if a else 'no' }}{{ 'x' if false }}|{{ messages[0].get('role') }}{{ messages[0].get('zz', 'd') }}|{{ messages[0]['missing'] }}|{{ messages[0].keys()|list }}",
 "{{ raise_exception('Conversation roles must alternate user/assistant/user/assistant/...') }}",
 "{{ x.y }}",
 "{{ [1].append(2) }}",
 "{% if messages[0]['role'] == 'user' %}\n    {{- 'U' }}\n{%- endif %}\n\n{%- for m in messages %}\n  {{ m.role }}\n{% endfor %}\ntail\n",
 "a\r\nb{% if true %}\r\nc{% endif %}\r\n",
 "{{ '\\u00e9\\x41\\t|' }}{{ \"it's\" }}{{ 'a' 'b' }}{{ strftime_now('%d %b %Y %H:%M') }}",
]
synthetic += [
 "{{ {'a': {'b': 1}} }}|{% set s = '%}' %}{{ s }}|{{ not 1 in [1] }}|{{ -2|abs }}|{{ - 2 ** 2 }}",
 "{% for a in [1,2] %}{% for b in 'xy' %}{{ loop.index }}{{ a }}{{ b }}{{ loop.previtem }}{% endfor %}{{ loop.nextitem }}{% endfor %}",
 "line1\n\n\n",
 "x\n  {# comment #}\n  {%- if true %}\ty{% endif %}\n\t{% if true %}z{% endif %}  \n{% if true %}\n{% endif %}end",
 "a  {% if true %}b{% endif %}  c\n   {% if true -%}   \n   d\n{%- endif %}",
 "{{ 'x' }}\n{% for m in messages %}\n{{ m.role }}\n{% endfor %}\n",
 "{{ messages[5] is defined }}|{{ messages[0]['content'][:3] }}|{{ messages|map('upper') if false else 'n' }}|{{ [1,2,3]|select('odd')|list }}|{{ ['a','B']|map('lower')|join }}",
 "{{ 'a\u3000b'.split() }}|{{ '\u00a0x\u00a0'|trim }}|{{ 'ß'.upper() }}|{{ 'ǆ'.title() }}|{{ \"o'k\" }}|{{ [\"o'k\", 'a\"b'] }}",
 "{{ 5 // 2.0 }}|{{ -5 // 2 }}|{{ 5 % -3 }}|{{ 2 ** -1 }}|{{ 1 == 1.0 }}|{{ true + 1 }}|{{ [1,2] + [3] }}|{{ (1,) + (2,) }}|{{ 1.5e300 * 1e10 }}",
 "{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}{% for i in [1] %}{% set x = 3 %}{{ x }}{% endfor %}{{ x }}",
 "{{ messages|tojson }}",
 "{%- for m in messages -%}\n  [{{ m.role }}]\n{%- endfor -%}\n",
 "{% if messages|length > 1 and messages[1].role == 'user' or false %}y{% else %}n{% endif %}{{ 'a' if 1 else 'b' if 2 else 'c' }}",
 "{{ range(2, 10, 3)|list }}|{{ range(3)|sum if false else 0 }}|{{ dict(a=1, b='x') }}|{{ namespace(a=1).a }}",
]


def raise_exception(message):
    raise ValueError(message)


def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
    return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)


def main():
    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True, extensions=[loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = lambda fmt: datetime(2025, 3, 7, 9, 5).strftime(fmt)
    for t in synthetic:
        cases.append({"template": t, "context": {"messages": convs[1], "add_generation_prompt": True}})
    for c in cases:
        try:
            c["expected"] = env.from_string(c["template"]).render(**c["context"])
        except Exception as e:  # the interpreter must refuse these too
            c["error"] = str(e)
    out = Path(sys.argv[1])
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(cases, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
