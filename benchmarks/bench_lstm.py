"""Speed of scratchdl's LSTM against PyTorch CPU, side by side in one process.

Times, in float32, the forward + backward pass of one LSTM layer over a sequence (batch
64, 128 steps, 128 inputs, 256 hidden units, batch-first), with a gradient arriving at
every output, for scratchdl and for ``torch.nn.LSTM``: interleaved, median of several
repeats after a warm-up, with PyTorch's thread count set to the number of BLAS threads
NumPy uses. It prints both thread counts, the BLAS library NumPy runs, the achieved FLOP
rates, the ratio scratchdl / PyTorch (below 1 means scratchdl is faster), and where
scratchdl's time goes (the matrix products inside the loop over time, those outside it,
and the elementwise gate arithmetic).

Run it with ``.venv/bin/python benchmarks/bench_lstm.py`` after ``make test`` (which
installs PyTorch). On machines where ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` are set,
compare with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` for this script only.
"""

from __future__ import annotations

import numpy as np
import torch
from timing import forward_backward_pair, median_time, setup_threads, side_by_side

from scratchdl.nn import LSTM

REPEATS = 9
N, T, D, H = 64, 128, 128, 256


def where_time_goes(rng) -> None:
    """Time the pieces of scratchdl's pass separately: matmuls in and out of the loop."""
    w_hh = rng.standard_normal((4 * H, H), dtype=np.float32) * 0.05
    w_ih = rng.standard_normal((4 * H, D), dtype=np.float32) * 0.05
    h = rng.standard_normal((N, H), dtype=np.float32)
    x2d = rng.standard_normal((T * N, D), dtype=np.float32)
    gates = rng.standard_normal((T * N, 4 * H), dtype=np.float32)
    h_prev = rng.standard_normal((T * N, H), dtype=np.float32)

    def in_loop():  # forward h W_hh^T and backward delta W_hh, once per step each
        for _ in range(T):
            h @ w_hh.T
            gates[:N] @ w_hh

    def outside():  # input projection, dx, dW_ih, dW_hh: four big products
        x2d @ w_ih.T
        gates @ w_ih
        gates.T @ x2d
        gates.T @ h_prev

    loop, out = median_time(in_loop), median_time(outside)
    print(f"  scratchdl pieces: {T} x 2 small matmuls in the loop {loop * 1e3:.1f} ms, "
          f"the big matmuls outside it {out * 1e3:.1f} ms; the rest of the pass is "
          "elementwise gate arithmetic and copies")


def main() -> None:
    setup_threads()
    rng = np.random.default_rng(0)
    layer = LSTM(D, H, rng=rng, dtype=np.float32)
    twin = torch.nn.LSTM(D, H, batch_first=True)
    x = rng.standard_normal((N, T, D), dtype=np.float32)
    dout = rng.standard_normal((N, T, H), dtype=np.float32)
    ours, theirs = forward_backward_pair(layer, twin, x, dout, output=lambda out: out[0])

    # Multiply-adds: forward x W_ih^T and h W_hh^T per step; backward three times that.
    flops = 3 * 2 * N * T * 4 * H * (D + H)
    ratio = side_by_side(f"LSTM {N}x{T}x{D}->{H} fwd+bwd", ours, theirs, flops, repeats=REPEATS)
    where_time_goes(rng)
    print(f"ratio scratchdl / torch: {ratio:.2f} (target: at most 2)")


if __name__ == "__main__":
    main()
