"""Train one bundled demo model (Mamba-1 or Mamba-2) on the device machine, then measure it.

    python3 tools/train/train_demo.py --arch mamba|mamba2 --data .device/train --out $OUT [--smoke]

Reads DATA/train.txt.gz, DATA/valid.txt.gz (measurement only), DATA/tokenizer.model and, if present,
DATA/mamba_ref.py. Writes to OUT (at most 7 files, each under 16 MiB, overwritten as training goes so that a
cut-off run still returns weights):
  config.json, model-0000{1,2}-of-00002.safetensors   BF16 checkpoint as transformers' save_pretrained writes it
  reference.safetensors, reference.json               engine-test fixture (see measure.py)
  results.json, train_log.txt                         measurements and the training log
"""
import argparse
import contextlib
import copy
import glob
import json
import math
import os
import shutil
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import measure  # noqa: E402
from architectures import BOS_ID, EOS_ID, MODEL_NAMES, VOCAB_SIZE, build_model, model_class  # noqa: E402
from data import build_stream, read_documents, split_train_dev, window_starts  # noqa: E402
from fast_model import forward_logits  # noqa: E402

T0 = time.time()
LOG = None


def log(msg):
    line = f"[{time.time() - T0:7.1f}s] {msg}"
    print(line, flush=True)
    if LOG:
        LOG.write(line + "\n")
        LOG.flush()


def parse_args():
    p = argparse.ArgumentParser()
    p.add_argument("--arch", choices=["mamba", "mamba2"], required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--seq", type=int, default=512)
    p.add_argument("--lr", type=float, default=2e-3)
    p.add_argument("--min-lr-ratio", type=float, default=0.1)
    p.add_argument("--warmup", type=int, default=200)
    p.add_argument("--weight-decay", type=float, default=0.1)
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--eval-every", type=int, default=100)
    p.add_argument("--max-train-seconds", type=float, default=300.0,
                   help="safety stop so that measurement still fits in the device call")
    p.add_argument("--smoke", action="store_true", help="few steps, everything else as in a real run")
    return p.parse_args()


def set_seed(seed):
    torch.manual_seed(seed)
    torch.cuda.manual_seed_all(seed)
    np.random.seed(seed)


def param_groups(model, weight_decay):
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        # Decay matrices only; A_log (2-D in Mamba-1), conv kernels, norms, biases, D and dt_bias are not.
        if p.dim() >= 2 and not name.endswith("A_log") and "conv1d" not in name:
            decay.append(p)
        else:
            no_decay.append(p)
    return [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]


def lr_at(step, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    progress = min(1.0, (step - args.warmup) / max(1, args.steps - args.warmup))
    floor = args.lr * args.min_lr_ratio
    return floor + 0.5 * (args.lr - floor) * (1 + math.cos(math.pi * progress))


def batch_loss(params, cfg, tokens):
    inputs, targets = tokens[:, :-1], tokens[:, 1:].clone()
    # BOS always follows EOS in the stream: nothing to learn there.
    targets[targets == BOS_ID] = -100
    amp = torch.autocast("cuda", dtype=torch.bfloat16) if tokens.is_cuda else contextlib.nullcontext()
    with amp:
        logits = forward_logits(params, cfg, inputs)
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1), ignore_index=-100)


@torch.no_grad()
def dev_loss(params, cfg, stream, starts, seq, batch):
    offsets = torch.arange(seq + 1, device=stream.device)
    total, count = 0.0, 0
    for i in range(0, len(starts), batch):
        idx = torch.as_tensor(starts[i:i + batch], device=stream.device)
        tokens = stream[idx[:, None] + offsets]
        n = int((tokens[:, 1:] != BOS_ID).sum())
        total += float(batch_loss(params, cfg, tokens)) * n
        count += n
    return total / count


def save_checkpoint(model, out_dir, work_dir):
    """BF16 save_pretrained in two shards (each < 16 MiB), copied to out_dir over the previous ones."""
    shutil.rmtree(work_dir, ignore_errors=True)
    bf16 = copy.deepcopy(model).to(torch.bfloat16)
    bf16.save_pretrained(work_dir, max_shard_size="14MB")
    for old in glob.glob(os.path.join(out_dir, "model*.safetensors")):
        os.remove(old)
    names = ["config.json"] + sorted(os.path.basename(p) for p in glob.glob(os.path.join(work_dir, "*.safetensors")))
    for name in names:
        shutil.copyfile(os.path.join(work_dir, name), os.path.join(out_dir, name))
    return names


def compare_with_transformers(model, cfg, device, seed):
    """fp32 logits and gradients of the fast forward against transformers' own forward, random weights."""
    gen = torch.Generator().manual_seed(seed)
    ids = torch.randint(4, VOCAB_SIZE, (2, 150), generator=gen).to(device)
    model.float()
    params = dict(model.named_parameters())
    fast = forward_logits(params, cfg, ids)
    loss_fast = fast.logsumexp(-1).mean()
    grads_fast = torch.autograd.grad(loss_fast, list(params.values()))
    ref = model(input_ids=ids, use_cache=False).logits.float()
    loss_ref = ref.logsumexp(-1).mean()
    grads_ref = torch.autograd.grad(loss_ref, list(params.values()))
    logit_diff = float((fast - ref).detach().abs().max())
    grad_rel = max(float((a - b).abs().max() / (b.abs().max() + 1e-12)) for a, b in zip(grads_fast, grads_ref))
    return {"max_abs_logit_diff": logit_diff, "max_rel_grad_diff": grad_rel,
            "logit_scale": float(ref.abs().max())}


def main():
    global LOG
    args = parse_args()
    if args.smoke:
        args.steps, args.eval_every, args.warmup = 20, 10, 5
    os.makedirs(args.out, exist_ok=True)
    LOG = open(os.path.join(args.out, "train_log.txt"), "w")
    device = torch.device("cuda")
    import sentencepiece as spm
    import transformers
    log(f"torch {torch.__version__}, transformers {transformers.__version__}, "
        f"device {torch.cuda.get_device_name(0)}, args {vars(args)}")
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.data, "tokenizer.model"))
    assert sp.get_piece_size() == VOCAB_SIZE and sp.bos_id() == BOS_ID and sp.eos_id() == EOS_ID

    documents = read_documents(os.path.join(args.data, "train.txt.gz"))
    train_docs, dev_docs = split_train_dev(documents)
    train_stream, train_doc_starts = build_stream(sp.encode(train_docs), BOS_ID, EOS_ID)
    dev_stream, dev_doc_starts = build_stream(sp.encode(dev_docs), BOS_ID, EOS_ID)
    train_windows = window_starts(train_doc_starts, len(train_stream), args.seq)
    dev_windows = window_starts(dev_doc_starts, len(dev_stream), args.seq)
    log(f"train: {len(train_docs)} documents, {len(train_stream)} tokens, {len(train_windows)} windows; "
        f"dev (every 100th training document): {len(dev_docs)} documents, {len(dev_windows)} windows")
    train_stream_gpu = torch.as_tensor(train_stream, device=device)
    dev_stream_gpu = torch.as_tensor(dev_stream, device=device)

    set_seed(args.seed)
    model = build_model(args.arch).to(device)
    cfg = model.config.to_dict()
    n_params = sum(p.numel() for p in model.parameters())
    log(f"{MODEL_NAMES[args.arch]}: {n_params} parameters; config {json.dumps(cfg, default=str)}")
    check = compare_with_transformers(copy.deepcopy(model), cfg, device, args.seed)
    log(f"fast forward vs transformers (fp32, random init): {check}")

    params = dict(model.named_parameters())
    opt = torch.optim.AdamW(param_groups(model, args.weight_decay), lr=args.lr, betas=(0.9, 0.95), eps=1e-8,
                            fused=True)
    rng = np.random.default_rng(args.seed)
    order, cursor, epoch = rng.permutation(len(train_windows)), 0, 0
    offsets = torch.arange(args.seq + 1, device=device)
    work_dir = "/tmp/demo_ckpt"
    best = {"dev_loss": float("inf"), "step": -1}
    best_state = None
    tokens_per_step = args.batch * args.seq
    train_start = time.time()
    last_log_time, last_log_step, step = train_start, 0, 0
    stopped_early = False
    model.train()
    for step in range(args.steps):
        if cursor + args.batch > len(order):
            order, cursor, epoch = rng.permutation(len(train_windows)), 0, epoch + 1
        idx = torch.as_tensor(train_windows[order[cursor:cursor + args.batch]], device=device)
        cursor += args.batch
        tokens = train_stream_gpu[idx[:, None] + offsets]
        for group in opt.param_groups:
            group["lr"] = lr_at(step, args)
        loss = batch_loss(params, cfg, tokens)
        loss.backward()
        grad_norm = torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        done = step + 1
        if done % 50 == 0 or done == args.steps or args.smoke:
            now = time.time()
            rate = (done - last_log_step) * tokens_per_step / (now - last_log_time)
            log(f"step {done}/{args.steps} epoch {epoch} loss {loss.item():.4f} grad_norm {float(grad_norm):.3f} "
                f"lr {lr_at(step, args):.2e} {rate:,.0f} tok/s train_time {now - train_start:.1f}s "
                f"peak_mem {torch.cuda.max_memory_allocated() / 2**30:.1f} GiB")
            last_log_time, last_log_step = now, done
        out_of_time = time.time() - train_start > args.max_train_seconds
        if done % args.eval_every == 0 or done == args.steps or out_of_time:
            model.eval()
            d = dev_loss(params, cfg, dev_stream_gpu, dev_windows, args.seq, args.batch)
            model.train()
            improved = d < best["dev_loss"]
            log(f"step {done}: dev loss {d:.4f} (ppl {math.exp(d):.2f}){' best' if improved else ''}")
            if improved:
                best = {"dev_loss": d, "step": done}
                best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                files = save_checkpoint(model, args.out, work_dir)
                log(f"checkpoint (step {done}) written: {files}")
        if out_of_time:
            stopped_early = True
            log(f"stopping at step {done}: training time limit {args.max_train_seconds}s reached")
            break
    train_seconds = time.time() - train_start
    steps_done = step + 1
    torch.cuda.synchronize()

    model.load_state_dict(best_state)
    files = save_checkpoint(model, args.out, work_dir)
    log(f"final checkpoint = best dev step {best['step']}: {files}")

    # Measurement, from the saved BF16 checkpoint, with transformers in float32.
    cls = model_class(args.arch)
    hf = cls.from_pretrained(work_dir, dtype=torch.float32).to(device).eval()
    valid_docs = read_documents(os.path.join(args.data, "valid.txt.gz"))
    valid_encoded = sp.encode(valid_docs)
    t = time.time()
    hf_budget, hf_round = (65536, 1) if args.arch == "mamba" else (8192, cfg["chunk_size"])
    ppl_hf = measure.perplexity(measure.hf_logits_fn(hf), valid_encoded, device, hf_budget, hf_round)
    log(f"valid perplexity, transformers fp32: {json.dumps(measure.summary(ppl_hf))} ({time.time() - t:.1f}s)")
    hf_params = dict(hf.named_parameters())
    with torch.no_grad():
        ppl_fast = measure.perplexity(lambda ids: forward_logits(hf_params, cfg, ids), valid_encoded, device)
    log(f"valid perplexity, fast forward fp32: {json.dumps(measure.summary(ppl_fast))}")

    prompts, ref_logits, greedy = measure.make_fixture(hf, sp, device)
    measure.write_fixture(args.out, prompts, ref_logits, greedy, measure.summary(ppl_hf), MODEL_NAMES[args.arch])
    log(f"fixture: prompt lengths {[len(p['ids']) for p in prompts]}, greedy {greedy}")
    with torch.no_grad():
        fast_fixture_diff = max(
            float((forward_logits(hf_params, cfg, torch.tensor([p["ids"]], device=device))[0].cpu()
                   - ref_logits[f"logits.{k}"]).abs().max()) for k, p in enumerate(prompts))
    ref_path = os.path.join(args.data, "mamba_ref.py")
    mamba_ref_diff = None
    if os.path.exists(ref_path):
        try:
            mamba_ref_diff = measure.mamba_ref_check(ref_path, hf, os.path.join(work_dir, "config.json"), prompts,
                                                      ref_logits, "/tmp/demo_ref")
        except Exception as e:  # a cross-check only; keep the run's results
            mamba_ref_diff = repr(e)
    log(f"fixture logits: fast forward vs transformers max |diff| {fast_fixture_diff:.2e}; "
        f"mamba_ref.py (float64) vs transformers max |dlogprob| {mamba_ref_diff}")

    results = {
        "model": MODEL_NAMES[args.arch], "arch": args.arch, "parameters": n_params, "args": vars(args),
        "device": torch.cuda.get_device_name(0), "torch": torch.__version__,
        "transformers": transformers.__version__,
        "train": {"documents": len(train_docs), "tokens": int(len(train_stream)), "windows": int(len(train_windows)),
                  "steps_done": steps_done, "tokens_seen": steps_done * tokens_per_step,
                  "epochs": steps_done * args.batch / len(train_windows), "seconds": train_seconds,
                  "tokens_per_second": steps_done * tokens_per_step / train_seconds,
                  "stopped_by_time_limit": stopped_early, "best_dev": best, "final_train_loss": float(loss)},
        "check_fast_vs_transformers_random_init": check,
        "fixture_fast_vs_transformers_max_abs_logit_diff": fast_fixture_diff,
        "fixture_mamba_ref_vs_transformers_max_abs_logprob_diff": mamba_ref_diff,
        "valid_perplexity_transformers_fp32": ppl_hf,
        "valid_perplexity_fast_fp32": measure.summary(ppl_fast),
        "greedy": greedy, "total_seconds": time.time() - T0,
    }
    with open(os.path.join(args.out, "results.json"), "w") as f:
        json.dump(results, f, indent=1)
    log(f"done in {time.time() - T0:.1f}s")


if __name__ == "__main__":
    main()
