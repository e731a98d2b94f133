"""Held-out perplexity and engine-test fixtures for a saved demo checkpoint, computed with transformers in
float32 (no autocast) from the BF16 weights exactly as saved.

Perplexity definition (the server reproduces it with echo + logprobs and max_tokens 0, one request per
document):
  * documents: every line of valid.txt.gz that holds a non-whitespace character, as written (2400 lines);
  * tokens: SentencePiece ids of the line (no normalisation beyond the model's identity rule);
  * "with_bos" (primary): the model reads [BOS] + ids and every id of the line is scored, the first one
    given BOS alone; EOS is neither appended nor scored;
  * "no_bos": the model reads ids; ids[1:] are scored (the first id of a document has no context);
  * no document is longer than 1024 tokens, so none is chunked (the script fails if one were);
  * perplexity = exp(sum of -log p over all scored tokens of all documents / number of scored tokens).
"""
import json
import math
import os
import shutil

import torch

from architectures import BOS_ID, EOS_ID, PAD_ID

MAX_DOC_TOKENS = 1024

FIXTURE_PROMPTS = [
    "The jury said that the city had not been told about the new plan, and the mayor asked whether",
    "In the morning, the members of the committee will meet again to discuss the cost of the new school",
    "She opened the door slowly, looked out into the dark street, and wondered if anyone was",
]
GREEDY_TOKENS = 32


@torch.no_grad()
def score_documents(logits_fn, sequences, first_scored, device, budget, round_to):
    """Per-document sum of -log p over positions >= first_scored (as float64), and counts.

    Batches hold at most `budget` tokens, lengths counted rounded up to `round_to` (transformers' Mamba-2
    path pads every sequence to whole chunks and materialises chunk x chunk x heads x state per chunk)."""
    order = sorted(range(len(sequences)), key=lambda i: len(sequences[i]))
    nll = [0.0] * len(sequences)
    counts = [0] * len(sequences)
    i = 0
    while i < len(order):
        j = i
        # Sorted by length, so order[j] is the longest of the batch so far.
        while j < len(order) and -(-len(sequences[order[j]]) // round_to) * round_to * (j - i + 1) <= budget:
            j += 1
        j = max(j, i + 1)
        batch = [sequences[k] for k in order[i:j]]
        longest = max(len(s) for s in batch)
        ids = torch.full((len(batch), longest), PAD_ID, dtype=torch.long)
        for r, s in enumerate(batch):
            ids[r, :len(s)] = torch.tensor(s)
        ids = ids.to(device)
        # Right padding is harmless: the models are causal.
        logp = torch.log_softmax(logits_fn(ids).float(), dim=-1)
        token_logp = logp[:, :-1].gather(-1, ids[:, 1:, None])[..., 0].double().cpu()
        for r, s in enumerate(batch):
            doc = order[i + r]
            scored = token_logp[r, first_scored - 1:len(s) - 1]
            nll[doc] = float(-scored.sum())
            counts[doc] = int(scored.numel())
        i = j
    return nll, counts


def perplexity(logits_fn, encoded_docs, device, budget=65536, round_to=1):
    results = {}
    for variant, prefix, first in (("with_bos", [BOS_ID], 1), ("no_bos", [], 1)):
        sequences = [prefix + ids for ids in encoded_docs]
        if max(len(s) for s in sequences) > MAX_DOC_TOKENS:
            raise ValueError("a document exceeds MAX_DOC_TOKENS; the perplexity definition would need chunking")
        nll, counts = score_documents(logits_fn, sequences, first, device, budget, round_to)
        total, n = sum(nll), sum(counts)
        results[variant] = {"documents": len(sequences), "scored_tokens": n, "nll_sum": total,
                            "mean_nll": total / n, "perplexity": math.exp(total / n), "per_document_nll": nll}
    return results


def hf_logits_fn(model):
    return lambda ids: model(input_ids=ids, use_cache=False).logits


@torch.no_grad()
def make_fixture(model, sp, device):
    """Full float32 logits for each prompt ([BOS] + ids) and a greedy continuation of the first."""
    prompts, logits = [], {}
    for k, text in enumerate(FIXTURE_PROMPTS):
        ids = [BOS_ID] + sp.encode(text)
        out = model(input_ids=torch.tensor([ids], device=device), use_cache=False).logits[0].float()
        logp = torch.log_softmax(out.double(), -1)
        prompts.append({"text": text, "ids": ids,
                        "next_token_logprob_of_actual": [float(logp[t, ids[t + 1]]) for t in range(len(ids) - 1)]})
        logits[f"logits.{k}"] = out.cpu().contiguous()

    prompt_ids = prompts[0]["ids"]
    # The same continuation by full recomputation and argmax, as a check on generate's cache path.
    seq, margins = prompt_ids[:], []
    for _ in range(GREEDY_TOKENS):
        nxt = torch.log_softmax(model(input_ids=torch.tensor([seq], device=device), use_cache=False).logits[0, -1]
                                .double(), -1)
        top2 = nxt.topk(2).values
        margins.append(round(float(top2[0] - top2[1]), 6))
        seq.append(int(nxt.argmax()))
    recomputed = seq[len(prompt_ids):]
    try:
        # EOS is not a stop here, so the continuation always has GREEDY_TOKENS tokens.
        model.generation_config.eos_token_id = None
        out = model.generate(torch.tensor([prompt_ids], device=device), max_new_tokens=GREEDY_TOKENS,
                             do_sample=False, pad_token_id=PAD_ID)
        generated = out[0, len(prompt_ids):].tolist()
        method = "transformers generate(do_sample=False), eos disabled, float32"
    except Exception as e:  # keep the fixture even if generate() breaks in this transformers version
        generated, method = recomputed, f"full-recompute argmax (generate failed: {e!r})"
    greedy = {"prompt_index": 0, "generated": generated, "text": sp.decode(generated), "method": method,
              "matches_full_recompute_argmax": generated == recomputed,
              "top1_top2_logprob_margin": margins,
              "margin_note": "log p(top1) - log p(top2) at each greedy step (transformers float32); an engine "
                             "within tolerance t of these logits can only flip a step whose margin is below 2t"}
    if generated != recomputed:
        greedy["full_recompute_argmax"] = recomputed
    return prompts, logits, greedy


def write_fixture(out_dir, prompts, logits, greedy, perplexity_summary, model_name):
    from safetensors.torch import save_file
    save_file(logits, os.path.join(out_dir, "reference.safetensors"), metadata={"format": "pt"})
    doc = {"model": model_name,
           "made_by": "tools/train/measure.py on the device machine: transformers float32 from the BF16 "
                      "model.safetensors",
           "bos_token_id": BOS_ID, "eos_token_id": EOS_ID,
           "prompts": prompts, "greedy": greedy, "perplexity": perplexity_summary}
    with open(os.path.join(out_dir, "reference.json"), "w") as f:
        json.dump(doc, f, indent=1)


def summary(ppl):
    """The perplexity results without per-document lists."""
    return {k: {kk: vv for kk, vv in v.items() if kk != "per_document_nll"} for k, v in ppl.items()}


def mamba_ref_check(ref_path, model, config_path, prompts, hf_logits, work_dir):
    """Largest |log p| difference between transformers and shared/tools/mamba_ref.py (float64 numpy)."""
    import importlib.util
    from safetensors.torch import save_file
    spec = importlib.util.spec_from_file_location("mamba_ref", ref_path)
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    os.makedirs(work_dir, exist_ok=True)
    state = {k: v.detach().to(torch.bfloat16).cpu().contiguous() for k, v in model.state_dict().items()
             if k != "lm_head.weight"}
    save_file(state, os.path.join(work_dir, "model.safetensors"), metadata={"format": "pt"})
    shutil.copyfile(config_path, os.path.join(work_dir, "config.json"))
    worst = 0.0
    for k, p in enumerate(prompts):
        theirs = torch.from_numpy(ref.logprobs(work_dir, p["ids"], "pergroup"))
        ours = torch.log_softmax(hf_logits[f"logits.{k}"].double(), -1)
        worst = max(worst, float((ours - theirs).abs().max()))
    return worst
