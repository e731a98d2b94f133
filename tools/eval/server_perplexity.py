"""Held-out perplexity measured through a running mamba-server (or any OpenAI-compatible server that
returns prompt logprobs): every non-blank line of the corpus is one document, sent as
POST /v1/completions {"prompt": line, "max_tokens": 0, "echo": true, "logprobs": 0}, the way
lm-evaluation-harness scores log-likelihoods. The first echoed token has no logprob (null: BOS for
SentencePiece models, which the server adds); every other token is scored.

    python3 tools/eval/server_perplexity.py URL MODEL CORPUS.txt[.gz] [--threads 4]
Standard library only."""
import argparse
import gzip
import json
import math
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor


def score(url, model, text):
    body = json.dumps({"model": model, "prompt": text, "max_tokens": 0, "echo": True,
                       "logprobs": 0, "temperature": 0}).encode()
    req = urllib.request.Request(url + "/v1/completions", body, {"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        lp = json.load(r)["choices"][0]["logprobs"]["token_logprobs"]
    scored = [x for x in lp if x is not None]
    return -sum(scored), len(scored)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("url")
    ap.add_argument("model")
    ap.add_argument("corpus")
    ap.add_argument("--threads", type=int, default=4)
    a = ap.parse_args()
    opener = gzip.open if a.corpus.endswith(".gz") else open
    with opener(a.corpus, "rt", encoding="utf-8") as f:
        docs = [line.rstrip("\n") for line in f if line.strip()]
    with ThreadPoolExecutor(a.threads) as pool:
        results = list(pool.map(lambda d: score(a.url, a.model, d), docs))
    nll = sum(r[0] for r in results)
    n = sum(r[1] for r in results)
    print(json.dumps({"documents": len(docs), "scored_tokens": n, "nll_sum": nll, "mean_nll": nll / n,
                      "perplexity": math.exp(nll / n)}))


if __name__ == "__main__":
    sys.exit(main())
