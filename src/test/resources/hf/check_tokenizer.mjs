// Reads a Hugging Face tokenizer folder (tokenizer.json, tokenizer_config.json) with Hugging Face's own JavaScript
// packages and writes what they make of it: node check_tokenizer.mjs DIR INPUT.json OUTPUT.json
// INPUT: {"texts": [...], "conversations": [[{"role", "content"}, ...], ...]}
// OUTPUT: the ids of each text (no special tokens added), each conversation rendered by the folder's chat template
// with the variables transformers passes (the config's special tokens, tools and documents null), the same
// without its last message as a generation prompt, and the ids of each rendering.
import { readFileSync, writeFileSync } from "node:fs";
import { Tokenizer } from "@huggingface/tokenizers";
import { Template } from "@huggingface/jinja";

const [dir, inputFile, outputFile] = process.argv.slice(2);
const tokenizerJson = JSON.parse(readFileSync(`${dir}/tokenizer.json`, "utf8"));
const config = JSON.parse(readFileSync(`${dir}/tokenizer_config.json`, "utf8"));
const input = JSON.parse(readFileSync(inputFile, "utf8"));

const tokenizer = new Tokenizer(tokenizerJson, config);
const template = new Template(config.chat_template);
const specials = {};
for (const key of ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]) {
  if (typeof config[key] === "string") specials[key] = config[key];
}
const encode = (text) => tokenizer.encode(text, { add_special_tokens: false }).ids;
const render = (messages, add_generation_prompt) =>
  template.render({ ...specials, messages, tools: null, documents: null, add_generation_prompt });

const rendered = input.conversations.map((m) => render(m, false));
const prompts = input.conversations.map((m) => render(m.slice(0, -1), true));
writeFileSync(outputFile, JSON.stringify({
  ids: input.texts.map(encode),
  rendered,
  renderedIds: rendered.map(encode),
  prompts,
  promptIds: prompts.map(encode),
}));
