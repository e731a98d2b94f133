#!/usr/bin/env bash
# Stage what the device machine needs in .device/train/ (ignored by git, carried to the device):
# the corpus splits, the SentencePiece tokenizer trained here, and the float64 reference for cross-checks.
#   bash tools/train/prepare.sh            (from the repository root; needs Debian's sentencepiece tools)
set -euo pipefail
cd "$(dirname "$0")/../.."
corpus=../shared/corpus
stage=.device/train
mkdir -p "$stage"
cp "$corpus/train.txt.gz" "$corpus/valid.txt.gz" "$stage/"
cp ../shared/tools/mamba_ref.py "$stage/"

# Tokenizer: unigram, 8192 pieces, byte fallback (any text encodes), identity normalisation and no
# whitespace collapsing (decode(encode(x)) == x), digits split. One thread: spm_train is then deterministic
# (with two threads the piece scores differ between runs). The input path is recorded in the model file, so
# keep it as written here to reproduce the file byte for byte.
zcat "$stage/train.txt.gz" > /tmp/mamba-demo-spm-input.txt
spm_train --input=/tmp/mamba-demo-spm-input.txt --model_prefix=/tmp/mamba-demo-spm \
  --vocab_size=8192 --model_type=unigram --byte_fallback=true \
  --normalization_rule_name=identity --remove_extra_whitespaces=false --split_digits=true \
  --character_coverage=0.9999 --max_sentence_length=65536 \
  --unk_id=0 --bos_id=1 --eos_id=2 --pad_id=3 --num_threads=1 --random_seed=1234 \
  > /tmp/mamba-demo-spm.log 2>&1
cp /tmp/mamba-demo-spm.model "$stage/tokenizer.model"
rm -f /tmp/mamba-demo-spm-input.txt
md5sum "$stage/tokenizer.model"
