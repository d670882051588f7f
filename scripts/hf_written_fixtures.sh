#!/usr/bin/env bash
# Writes the folders of src/test/resources/hf-written (a GPT-2, a GPT-NeoX, a Llama and a Qwen2 stage folder, as this project's
# checkpoint writer writes them) and the logits of each, computed from the written files by an independent forward
# of the declared architecture (scripts/hf_reference_logits.py, torch). HfWrittenFolderTest checks both.
#   bash scripts/hf_written_fixtures.sh        (needs /usr/bin/python3 with torch: apt-get install python3-torch)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
out="$PWD/src/test/resources/hf-written"
rm -rf "$out"
mvn -q -B -o test -Dtest=HfWrittenFolderTest#writeFixtures -Dsurefire.failIfNoSpecifiedTests=false \
  -Drlhf4j.writeFixtures="$out"
for arch in gpt2 gpt_neox llama qwen2; do
  rm -f "$out/$arch/optimizer.safetensors"
  /usr/bin/python3 scripts/hf_reference_logits.py "$out/$arch" "$out/$arch/expected_logits.json" 1,5,9,200,7,7,42,260,13,99,3,150
done
ls -l "$out"/*
