"""Speed of scratchdl's MultiheadAttention against PyTorch CPU, side by side in one process.

Times, in float32, the forward + backward pass of self-attention (batch 32, 128 tokens,
256 dimensions, 8 heads, batch-first, no mask), with a gradient arriving at every output,
for ``scratchdl.nn.MultiheadAttention`` and ``torch.nn.MultiheadAttention`` with the same
weights: interleaved, median of several repeats after a warm-up, with PyTorch's thread
count set to the number of BLAS threads NumPy uses. PyTorch runs with
``need_weights=False`` (its fused scaled-dot-product path) and scratchdl likewise. It
prints both thread counts, the BLAS library NumPy runs, the FLOP rates, the ratio
scratchdl / PyTorch (target: at most 1.25) and where scratchdl's time goes.

Run it with ``.venv/bin/python benchmarks/bench_attention.py`` after ``make test`` (which
installs PyTorch). On machines where ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` are set,
compare with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` for this script only.
"""

from __future__ import annotations

import numpy as np
import torch
from timing import matmul_rate, median_time, setup_threads, side_by_side

from scratchdl.functional import softmax
from scratchdl.nn import MultiheadAttention
from scratchdl.nn.attention import scaled_dot_product_attention_backward

REPEATS = 9
N, T, E, H = 32, 128, 256, 8


def where_time_goes(rng) -> None:
    """Time the pieces of scratchdl's pass: projections, score products, softmax, backward."""
    d = E // H
    x = rng.standard_normal((N * T, E), dtype=np.float32)
    w = rng.standard_normal((3 * E, E), dtype=np.float32) * 0.05
    q, k, v = rng.standard_normal((3, N, H, T, d), dtype=np.float32)
    scores = q @ k.swapaxes(-1, -2)
    A = softmax(scores)
    dO = rng.standard_normal((N, H, T, d), dtype=np.float32)

    def projections():  # forward in/out projections and their four backward products
        qkv = x @ w.T
        x @ w[:E].T
        qkv.T @ x
        qkv @ w
        x.T @ x
        x @ w[:E]

    def score_products():  # Q K^T and A V forward
        q @ k.swapaxes(-1, -2) / np.float32(np.sqrt(d))
        A @ v

    def softmax_forward():
        softmax(scores)

    def attention_backward():
        scaled_dot_product_attention_backward(dO, q, k, v, A)

    pieces = {"projections (fwd + bwd)": projections, "QK^T and AV (fwd)": score_products,
              "softmax (fwd)": softmax_forward,
              "attention backward (3 products + softmax)": attention_backward}
    for name, fn in pieces.items():
        print(f"  scratchdl piece: {name:<42} {median_time(fn, 5) * 1e3:7.2f} ms")


def main() -> None:
    setup_threads()
    rng = np.random.default_rng(0)
    layer = MultiheadAttention(E, H, batch_first=True, rng=rng, dtype=np.float32)
    twin = torch.nn.MultiheadAttention(E, H, batch_first=True)
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})
    x = rng.standard_normal((N, T, E), dtype=np.float32)
    dout = rng.standard_normal((N, T, E), dtype=np.float32)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    dt = torch.from_numpy(dout)

    def ours():
        layer.zero_grad()
        layer.forward(x, x, x, need_weights=False)
        layer.backward(dout)

    def theirs():
        twin.zero_grad()
        xt.grad = None
        twin(xt, xt, xt, need_weights=False)[0].backward(dt)

    # Multiply-adds of the forward pass: 4 projections (N T E^2 each) and the two score
    # products (N T^2 E each); the backward pass does twice that.
    flops = 3 * 2 * (4 * N * T * E * E + 2 * N * T * T * E)
    ratio = side_by_side(f"MHA self-attn {N}x{T}x{E}, {H} heads", ours, theirs, flops,
                         matmul_rate(rng), repeats=REPEATS)
    where_time_goes(rng)
    print(f"ratio scratchdl / torch: {ratio:.2f} (target: at most 1.25)")


if __name__ == "__main__":
    main()
