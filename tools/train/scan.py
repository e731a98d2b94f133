"""Parallel linear recurrence h_t = a_t * h_{t-1} + b_t (h_{-1} = 0) along dim 1, with its own backward.

Mamba-1's selective scan is this recurrence over (batch, time, d_inner, d_state) tensors. transformers'
pure-PyTorch path runs it one time step at a time; here an even/odd recursion halves the sequence at each
level (about 2L work, log2(L) levels of whole-tensor kernels), and the backward is the same recursion run
in reverse, so autograd stores only a and h instead of every intermediate.
"""
import torch


def _scan_forward(a, b):
    # a, b: (batch, L, ...) with L a power of two; returns h.
    length = a.shape[1]
    if length == 1:
        return b.clone()
    a2 = a.unflatten(1, (length // 2, 2))
    b2 = b.unflatten(1, (length // 2, 2))
    a_even, a_odd = a2[:, :, 0], a2[:, :, 1]
    b_even, b_odd = b2[:, :, 0], b2[:, :, 1]
    # A pair (2i, 2i+1) acts on h_{2i-1} like one step with these coefficients.
    h_odd = _scan_forward(a_odd * a_even, torch.addcmul(b_odd, a_odd, b_even))
    h = torch.empty_like(b2)
    h[:, :, 1] = h_odd
    h[:, 0, 0] = b_even[:, 0]
    h[:, 1:, 0] = torch.addcmul(b_even[:, 1:], a_even[:, 1:], h_odd[:, :-1])
    return h.flatten(1, 2)


def _scan_reverse(alpha, g):
    # Solves G_t = alpha_t * G_{t+1} + g_t with G_L = 0 (the adjoint recurrence).
    length = alpha.shape[1]
    if length == 1:
        return g.clone()
    a2 = alpha.unflatten(1, (length // 2, 2))
    g2 = g.unflatten(1, (length // 2, 2))
    a_even, a_odd = a2[:, :, 0], a2[:, :, 1]
    g_even, g_odd = g2[:, :, 0], g2[:, :, 1]
    # A pair (2i, 2i+1) acts on G_{2i+2} like one reverse step with these coefficients.
    G_even = _scan_reverse(a_even * a_odd, torch.addcmul(g_even, a_even, g_odd))
    out = torch.empty_like(g2)
    out[:, :, 0] = G_even
    out[:, -1, 1] = g_odd[:, -1]
    out[:, :-1, 1] = torch.addcmul(g_odd[:, :-1], a_odd[:, :-1], G_even[:, 1:])
    return out.flatten(1, 2)


class _LinearScan(torch.autograd.Function):
    @staticmethod
    def forward(ctx, a, b):
        h = _scan_forward(a, b)
        ctx.save_for_backward(a, h)
        return h

    @staticmethod
    def backward(ctx, grad_h):
        a, h = ctx.saved_tensors
        # dL/dh_t accumulates grad_h_t plus what flows back through h_{t+1} = a_{t+1} h_t + ...
        alpha = torch.zeros_like(a)
        alpha[:, :-1] = a[:, 1:]
        g = _scan_reverse(alpha, grad_h.contiguous())
        grad_a = torch.zeros_like(a)
        grad_a[:, 1:] = g[:, 1:] * h[:, :-1]
        return grad_a, g


def linear_scan(a, b):
    """h_t = a_t * h_{t-1} + b_t along dim 1 of equal-shaped contiguous float tensors (batch, L, ...)."""
    length = a.shape[1]
    padded = 1 << max(0, (length - 1).bit_length())
    if padded != length:
        # Trailing zero steps never influence earlier outputs.
        pad = [0, 0] * (a.dim() - 2) + [0, padded - length]
        a = torch.nn.functional.pad(a, pad)
        b = torch.nn.functional.pad(b, pad)
    h = _LinearScan.apply(a.contiguous(), b.contiguous())
    return h[:, :length]


def sequential_scan(a, b):
    """Slow, obvious reference for tests."""
    h = torch.zeros_like(b[:, 0])
    out = []
    for t in range(a.shape[1]):
        h = a[:, t] * h + b[:, t]
        out.append(h)
    return torch.stack(out, dim=1)
