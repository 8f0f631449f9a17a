"""Speed of scratchdl's Conv2d and MaxPool2d against PyTorch CPU, side by side in one process.

Times, in float32, the forward + backward pass of

* ``Conv2d(16, 32, 3, padding=1)`` on a batch of 64 images of 28x28 (three matrix
  products of 2 * 64 * 28 * 28 * 32 * 16 * 9 FLOPs each, plus im2col and col2im), and
* ``MaxPool2d(2)`` on its output, (64, 32, 28, 28),

for scratchdl and for PyTorch, interleaved, median of several repeats after a warm-up, with
PyTorch's thread count set to the number of BLAS threads NumPy uses. It prints both thread
counts, the BLAS library, NumPy's float32 matrix-product rate measured in the same run,
each implementation's achieved FLOP rate as a fraction of it, and the ratio
scratchdl / PyTorch (below 1 means scratchdl is faster). The target is a Conv2d ratio of at
most 1.5.

Run it with ``.venv/bin/python benchmarks/bench_conv.py`` on a quiet machine (other
processes on the same cores make OpenBLAS threads wait for each other and distort both
sides). With ``--profile`` it also prints where scratchdl's Conv2d spends its time.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from timing import matmul_rate, median_time, setup_threads, side_by_side

from scratchdl.functional import col2im, im2col
from scratchdl.nn import Conv2d, MaxPool2d

N, C_IN, C_OUT, SIZE, KERNEL = 64, 16, 32, 28, 3
CONV_FLOPS = 3 * 2 * N * C_OUT * SIZE * SIZE * C_IN * KERNEL * KERNEL


def conv_pair(rng):
    layer = Conv2d(C_IN, C_OUT, KERNEL, padding=1, rng=rng, dtype=np.float32)
    twin = torch.nn.Conv2d(C_IN, C_OUT, KERNEL, padding=1)
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})
    x = rng.standard_normal((N, C_IN, SIZE, SIZE), dtype=np.float32)
    dout = rng.standard_normal((N, C_OUT, SIZE, SIZE), dtype=np.float32)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    dt = torch.from_numpy(dout)

    def ours():
        layer.zero_grad()
        layer.forward(x)
        layer.backward(dout)

    def theirs():
        twin.zero_grad()
        xt.grad = None
        twin(xt).backward(dt)

    return ours, theirs, layer, x, dout


def pool_pair(rng):
    pool, twin = MaxPool2d(2), torch.nn.MaxPool2d(2)
    x = rng.standard_normal((N, C_OUT, SIZE, SIZE), dtype=np.float32)
    dout = rng.standard_normal((N, C_OUT, SIZE // 2, SIZE // 2), dtype=np.float32)
    xt = torch.from_numpy(x.copy()).requires_grad_(True)
    dt = torch.from_numpy(dout)

    def ours():
        pool.forward(x)
        pool.backward(dout)

    def theirs():
        xt.grad = None
        twin(xt).backward(dt)

    return ours, theirs


def profile(layer, x, dout):
    """Median time of each stage of scratchdl's Conv2d forward + backward."""
    args = (layer.kernel_size, layer.stride, layer.padding, layer.dilation)
    w = layer.weight.reshape(C_OUT, -1)
    cols = im2col(x, *args)
    delta = np.ascontiguousarray(dout.swapaxes(0, 1)).reshape(C_OUT, -1)
    y = w @ cols
    dcols = w.T @ delta
    stages = {
        "im2col (pad + strided copy)": lambda: im2col(x, *args),
        "forward matmul W @ cols": lambda: w @ cols,
        "output to (N, C, H, W)": lambda: np.ascontiguousarray(
            y.reshape(C_OUT, N, SIZE, SIZE).swapaxes(0, 1)),
        "dout to (C, N*H*W)": lambda: dout.swapaxes(0, 1).reshape(C_OUT, -1),
        "weight-grad matmul": lambda: (cols @ delta.T).T,
        "input-grad matmul W^T @ delta": lambda: w.T @ delta,
        "col2im (9 strided adds)": lambda: col2im(dcols, x.shape, *args),
    }
    total = median_time(lambda: (layer.zero_grad(), layer.forward(x), layer.backward(dout)))
    print(f"profile of scratchdl Conv2d forward + backward: {total * 1e3:.2f} ms")
    for name, fn in stages.items():
        seconds = median_time(fn)
        print(f"  {name:<32} {seconds * 1e3:7.2f} ms  {seconds / total:5.0%}")


def main() -> None:
    setup_threads()
    rng = np.random.default_rng(0)
    matmul = matmul_rate(rng)
    print(f"NumPy float32 matmul 1024^3: {matmul / 1e9:.1f} GFLOP/s")
    ours, theirs, layer, x, dout = conv_pair(rng)
    ratio = side_by_side("Conv2d 64x16x28x28->32 3x3 fwd+bwd", ours, theirs, CONV_FLOPS, matmul)
    side_by_side("MaxPool2d(2) 64x32x28x28 fwd+bwd", *pool_pair(rng))
    print(f"Conv2d target ratio <= 1.5: {'met' if ratio <= 1.5 else 'missed'}")
    if "--profile" in sys.argv:
        profile(layer, x, dout)


if __name__ == "__main__":
    main()
