"""Fast training forwards for Hugging Face MambaForCausalLM / Mamba2ForCausalLM checkpoints.

Both functions take the model's parameters by their Hugging Face names (dict(model.named_parameters()) or a
loaded state dict) and its config as a dict (config.to_dict()), and return float32 logits (batch, L, vocab).
They follow transformers' pure-PyTorch paths step for step, except for how the scan is computed:
Mamba-1 uses the parallel linear scan of scan.py instead of a time loop, Mamba-2 the chunked SSD form with
matrix products instead of transformers' broadcast-and-sum (which materialises a (b, c, Q, Q, h, n) tensor).
"""
import torch
import torch.nn.functional as F

from scan import linear_scan


def _linear(x, params, name):
    return F.linear(x, params[name + ".weight"], params.get(name + ".bias"))


def _rms_norm(x, weight, eps):
    x32 = x.float()
    return weight * (x32 * torch.rsqrt(x32.pow(2).mean(-1, keepdim=True) + eps))


def _causal_conv(x, params, prefix, kernel):
    # x: (batch, L, channels) -> depthwise causal conv over L, then SiLU.
    length = x.shape[1]
    weight = params[prefix + "conv1d.weight"]  # (channels, 1, kernel)
    y = F.conv1d(x.transpose(1, 2), weight, params.get(prefix + "conv1d.bias"), padding=kernel - 1,
                 groups=weight.shape[0])
    return F.silu(y[..., :length].transpose(1, 2))


def _mamba1_mixer(params, prefix, x, cfg):
    d_inner = cfg["intermediate_size"]
    n_state = cfg["state_size"]
    rank = cfg["time_step_rank"]
    xz = _linear(x, params, prefix + "in_proj")  # (b, L, 2 d_inner)
    xs, z = xz[..., :d_inner], xz[..., d_inner:]
    xs = _causal_conv(xs, params, prefix, cfg["conv_kernel"])  # (b, L, d_inner)
    dbc = _linear(xs, params, prefix + "x_proj")
    dt_low, b_in, c_in = torch.split(dbc, [rank, n_state, n_state], dim=-1)
    dt = F.softplus(_linear(dt_low, params, prefix + "dt_proj").float())  # (b, L, d_inner)
    A = -torch.exp(params[prefix + "A_log"].float())  # (d_inner, n_state)
    xs32 = xs.float()
    decay = torch.exp(dt.unsqueeze(-1) * A)  # (b, L, d_inner, n_state)
    drive = (dt * xs32).unsqueeze(-1) * b_in.float().unsqueeze(2)
    states = linear_scan(decay, drive)
    y = torch.einsum("bldn,bln->bld", states, c_in.float())
    y = y + xs32 * params[prefix + "D"].float()
    y = y * F.silu(z.float())
    return _linear(y, params, prefix + "out_proj")


def ssd_chunked(x, dt, A, B, C, chunk):
    """y_t = C_t . h_t, h_t = exp(dt_t A) h_{t-1} + dt_t x_t B_t^T per head, in chunks of `chunk` steps.

    x: (b, L, h, p), dt: (b, L, h), A: (h,), B, C: (b, L, n) (one group). Returns (b, L, h, p) float32.
    """
    b, length, h, p = x.shape
    n = B.shape[-1]
    pad = (-length) % chunk
    if pad:
        # Padded steps come after every real one, so they cannot change it.
        x = F.pad(x, (0, 0, 0, 0, 0, pad))
        dt = F.pad(dt, (0, 0, 0, pad))
        B = F.pad(B, (0, 0, 0, pad))
        C = F.pad(C, (0, 0, 0, pad))
    c = (length + pad) // chunk
    xdt = (x * dt.unsqueeze(-1)).view(b, c, chunk, h, p)
    log_decay = (dt * A).view(b, c, chunk, h).permute(0, 3, 1, 2)  # (b, h, c, Q)
    cum = torch.cumsum(log_decay, dim=-1)
    Bc = B.view(b, c, chunk, n)
    Cc = C.view(b, c, chunk, n)

    # Within a chunk: y_i = sum_{j<=i} (C_i . B_j) exp(cum_i - cum_j) xdt_j.
    causal = torch.tril(torch.ones(chunk, chunk, dtype=torch.bool, device=x.device))
    seg = (cum.unsqueeze(-1) - cum.unsqueeze(-2)).masked_fill(~causal, float("-inf"))
    weights = torch.einsum("bcin,bcjn->bcij", Cc, Bc).unsqueeze(1) * torch.exp(seg)  # (b, h, c, Q, Q)
    y_diag = torch.einsum("bhcij,bcjhp->bcihp", weights, xdt)

    # Each chunk's own contribution to the state at its end.
    to_end = torch.exp(cum[..., -1:] - cum).permute(0, 2, 3, 1).unsqueeze(-1)  # (b, c, Q, h, 1)
    chunk_states = torch.einsum("bcjn,bcjhp->bchpn", Bc, xdt * to_end)
    # Carry states across chunks (few chunks, so a short loop).
    chunk_decay = torch.exp(cum[..., -1])  # (b, h, c)
    state = torch.zeros(b, h, p, n, dtype=x.dtype, device=x.device)
    starts = []
    for k in range(c):
        starts.append(state)
        state = chunk_decay[:, :, k, None, None] * state + chunk_states[:, k]
    starts = torch.stack(starts, dim=1)  # (b, c, h, p, n)
    from_start = torch.exp(cum).permute(0, 2, 3, 1).unsqueeze(-1)  # (b, c, Q, h, 1)
    y_off = torch.einsum("bcin,bchpn->bcihp", Cc, starts) * from_start
    return (y_diag + y_off).reshape(b, c * chunk, h, p)[:, :length]


def _mamba2_mixer(params, prefix, x, cfg, chunk):
    heads, head_dim, n_state = cfg["num_heads"], cfg["head_dim"], cfg["state_size"]
    if cfg["n_groups"] != 1:
        raise ValueError("fast Mamba-2 forward supports n_groups = 1 only")
    d_inner = heads * head_dim
    conv_dim = d_inner + 2 * n_state
    zxbcdt = _linear(x, params, prefix + "in_proj")
    z, xbc, dt = torch.split(zxbcdt, [d_inner, conv_dim, heads], dim=-1)
    xbc = _causal_conv(xbc, params, prefix, cfg["conv_kernel"])
    xs, b_in, c_in = torch.split(xbc, [d_inner, n_state, n_state], dim=-1)
    dt = F.softplus(dt.float() + params[prefix + "dt_bias"].float())
    low, high = cfg.get("time_step_limit", (0.0, float("inf")))
    if low > 0.0 or high != float("inf"):
        dt = dt.clamp(low, high)
    A = -torch.exp(params[prefix + "A_log"].float())
    bsz, length, _ = xs.shape
    xs32 = xs.float().view(bsz, length, heads, head_dim)
    y = ssd_chunked(xs32, dt, A, b_in.float(), c_in.float(), chunk)
    y = y + xs32 * params[prefix + "D"].float()[:, None]
    y = y.reshape(bsz, length, d_inner) * F.silu(z.float())
    y = _rms_norm(y, params[prefix + "norm.weight"], cfg["layer_norm_epsilon"])
    return _linear(y, params, prefix + "out_proj")


def forward_logits(params, cfg, input_ids, ssd_chunk=64):
    """Logits (b, L, vocab) float32 of a MambaForCausalLM / Mamba2ForCausalLM given its named parameters."""
    eps = cfg["layer_norm_epsilon"]
    embedding = params["backbone.embeddings.weight"]
    h = F.embedding(input_ids, embedding)
    for i in range(cfg["num_hidden_layers"]):
        prefix = f"backbone.layers.{i}."
        normed = _rms_norm(h, params[prefix + "norm.weight"], eps)
        if cfg["model_type"] == "mamba":
            out = _mamba1_mixer(params, prefix + "mixer.", normed, cfg)
        else:
            out = _mamba2_mixer(params, prefix + "mixer.", normed, cfg, ssd_chunk)
        h = h.float() + out  # residual kept in float32, as residual_in_fp32 asks
    h = _rms_norm(h, params["backbone.norm_f.weight"], eps)
    head = params.get("lm_head.weight", embedding)
    return F.linear(h, head).float()
