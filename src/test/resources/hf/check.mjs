// Reads a stage folder with Hugging Face's own JavaScript packages and writes what they make of it:
// node check.mjs STAGE_DIR INPUT.json OUTPUT.json
// INPUT: {"texts": [...], "conversations": [[{"role", "content"}, ...], ...]}
// OUTPUT: the ids of each text (no special tokens added), each conversation rendered by the folder's chat
// template, the same without its last message as a generation prompt, and the ids of each rendering.
import { readFileSync, writeFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";

const [dir, inputFile, outputFile] = process.argv.slice(2);
const tokenizerJson = JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8"));
const config = JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8"));
const specials = JSON.parse(readFileSync(`${dir}/special_tokens_map.json`, "utf8"));
const input = JSON.parse(readFileSync(inputFile, "utf8"));

const tokenizer = new Tokenizer(tokenizerJson, config);
const template = new Template(config.chat_template);
const encode = (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;
const render = (messages, add_generation_prompt) =>
  template.render({ messages, add_generation_prompt, bos_token: config.bos_token, eos_token: config.eos_token });

const rendered = input.conversations.map((m) => render(m, false));
const prompts = input.conversations.map((m) => render(m.slice(0, -1), true));
const out = {
  ids: input.texts.map(encode),
  rendered,
  renderedIds: rendered.map(encode),
  prompts,
  promptIds: prompts.map(encode),
  specialIds: Object.fromEntries(["bos_token", "eos_token", "pad_token"].map((k) => [k, encode(specials[k])])),
};
writeFileSync(outputFile, JSON.stringify(out));
