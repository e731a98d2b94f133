"""Check fast_model.py against the independent float64 numpy reference (shared/tools/mamba_ref.py) on small
random Mamba-1 and Mamba-2 models, forward and (through scan.py's own backward) gradients against a plain
time loop. Runs on a CPU:

    python3 tools/train/check_fast_model.py ../shared/tools/mamba_ref.py

Exits non-zero when a difference is above its tolerance.
"""
import importlib.util
import json
import math
import os
import sys
import tempfile

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from fast_model import forward_logits, ssd_chunked  # noqa: E402
from st_io import write_raw  # noqa: E402

MAMBA1 = {"model_type": "mamba", "hidden_size": 32, "intermediate_size": 64, "state_size": 8, "conv_kernel": 4,
          "time_step_rank": 4, "num_hidden_layers": 2, "layer_norm_epsilon": 1e-5, "vocab_size": 50}
MAMBA2 = {"model_type": "mamba2", "hidden_size": 32, "num_heads": 4, "head_dim": 16, "state_size": 8,
          "n_groups": 1, "conv_kernel": 4, "num_hidden_layers": 2, "layer_norm_epsilon": 1e-5, "vocab_size": 50,
          "time_step_rank": 2, "chunk_size": 256}


def random_params(cfg, gen):
    def rnd(*shape, std=0.2):
        return torch.randn(*shape, generator=gen, dtype=torch.float64) * std

    d, v = cfg["hidden_size"], cfg["vocab_size"]
    p = {"backbone.embeddings.weight": rnd(v, d, std=0.5), "backbone.norm_f.weight": 1 + rnd(d, std=0.1)}
    for i in range(cfg["num_hidden_layers"]):
        m = f"backbone.layers.{i}.mixer."
        p[f"backbone.layers.{i}.norm.weight"] = 1 + rnd(d, std=0.1)
        n, k = cfg["state_size"], cfg["conv_kernel"]
        if cfg["model_type"] == "mamba":
            di, r = cfg["intermediate_size"], cfg["time_step_rank"]
            p[m + "in_proj.weight"] = rnd(2 * di, d)
            p[m + "conv1d.weight"] = rnd(di, 1, k, std=0.4)
            p[m + "conv1d.bias"] = rnd(di)
            p[m + "x_proj.weight"] = rnd(r + 2 * n, di)
            p[m + "dt_proj.weight"] = rnd(di, r)
            p[m + "dt_proj.bias"] = rnd(di, std=1.0) - 3
            p[m + "A_log"] = torch.log(torch.arange(1, n + 1, dtype=torch.float64)).repeat(di, 1) + rnd(di, n)
            p[m + "D"] = 1 + rnd(di)
            p[m + "out_proj.weight"] = rnd(d, di)
        else:
            h, hd = cfg["num_heads"], cfg["head_dim"]
            di = h * hd
            conv_dim = di + 2 * n
            p[m + "in_proj.weight"] = rnd(di + conv_dim + h, d)
            p[m + "conv1d.weight"] = rnd(conv_dim, 1, k, std=0.4)
            p[m + "conv1d.bias"] = rnd(conv_dim)
            p[m + "dt_bias"] = rnd(h, std=1.0) - 3
            p[m + "A_log"] = torch.log(torch.arange(1, h + 1, dtype=torch.float64)) + rnd(h)
            p[m + "D"] = 1 + rnd(h)
            p[m + "norm.weight"] = 1 + rnd(di, std=0.1)
            p[m + "out_proj.weight"] = rnd(d, di)
    return p


def save_model_dir(directory, cfg, params):
    tensors = {}
    for name, t in params.items():
        data = t.to(torch.float32).contiguous().numpy().tobytes()
        tensors[name] = ("F32", list(t.shape), data)
    write_raw(os.path.join(directory, "model.safetensors"), tensors, {"format": "pt"})
    with open(os.path.join(directory, "config.json"), "w") as f:
        json.dump(cfg, f)


def check_ssd_against_loop(gen):
    b, length, h, p, n = 2, 37, 3, 4, 5
    x = torch.randn(b, length, h, p, generator=gen, dtype=torch.float64)
    dt = torch.rand(b, length, h, generator=gen, dtype=torch.float64)
    A = -torch.rand(h, generator=gen, dtype=torch.float64) * 3
    B = torch.randn(b, length, n, generator=gen, dtype=torch.float64)
    C = torch.randn(b, length, n, generator=gen, dtype=torch.float64)
    y = ssd_chunked(x, dt, A, B, C, chunk=8)
    state = torch.zeros(b, h, p, n, dtype=torch.float64)
    ref = []
    for t in range(length):
        decay = torch.exp(dt[:, t] * A)[:, :, None, None]
        state = decay * state + (dt[:, t, :, None] * x[:, t])[..., None] * B[:, t, None, None, :]
        ref.append(torch.einsum("bhpn,bn->bhp", state, C[:, t]))
    return (y - torch.stack(ref, 1)).abs().max().item()


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    spec = importlib.util.spec_from_file_location("mamba_ref", sys.argv[1])
    ref = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ref)
    gen = torch.Generator().manual_seed(0)
    failures = 0
    err = check_ssd_against_loop(gen)
    print(f"ssd_chunked vs time loop: max |dy| = {err:.2e}")
    failures += err > 1e-10
    for cfg in (MAMBA1, MAMBA2):
        params = {k: v.float() for k, v in random_params(cfg, gen).items()}
        ids = torch.randint(0, cfg["vocab_size"], (1, 45), generator=gen)
        ours = torch.log_softmax(forward_logits(params, cfg, ids, ssd_chunk=16)[0].double(), -1)
        with tempfile.TemporaryDirectory() as d:
            save_model_dir(d, cfg, params)
            theirs = torch.from_numpy(ref.logprobs(d, ids[0].tolist(), "pergroup"))
        # Ours runs in float32, the reference in float64 on the same float32 weights.
        err = (ours - theirs).abs().max().item()
        print(f"{cfg['model_type']}: fast forward vs mamba_ref.py: max |dlogprob| = {err:.2e}")
        failures += not math.isfinite(err) or err > 1e-4
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
