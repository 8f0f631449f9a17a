"""Speed of scratchdl's convolution and pooling layers against PyTorch CPU, side by side.

Times, in float32, one forward + backward pass (input gradient included, as inside a
network) of each case below, for scratchdl and for PyTorch, interleaved, median of several
repeats after a warm-up, with PyTorch's thread count set to the number of BLAS threads
NumPy uses:

* ``Conv2d`` on three shapes (issue 15): the chapter-sized middle layer, batch 64,
  16 -> 32 channels, 28x28, 3x3, padding 1; a first layer, 1 -> 16 channels; a wide late
  layer, 64 -> 64 channels on 7x7;
* ``Conv1d`` on the same three with the 3x3 kernel replaced by 9 taps along 784 (resp. 49)
  positions, the same number of multiply-adds;
* ``MaxPool2d(2)`` and ``AvgPool2d(2)`` on (64, 32, 28, 28);
* ``ConvTranspose2d(32, 16, 4, stride=2, padding=1)`` from 14x14 to 28x28 (a GAN
  generator's upsampling layer).

For each case it prints our time, PyTorch's, the ratio scratchdl / PyTorch (below 1 means
scratchdl is faster) and, for the layers made of matrix products, both achieved FLOP
rates as fractions of NumPy's float32 matrix-product rate measured in the same run. The
target is a ratio of at most 1.5 for every case; the script exits with status 1 when one
misses (run it by hand: timing assertions do not belong in the test suite on shared
machines).

Run it with ``OPENBLAS_NUM_THREADS=2 .venv/bin/python benchmarks/bench_conv.py`` on a quiet
machine (other processes on the same cores make OpenBLAS threads wait for each other and
distort both sides); ``uptime`` before and after says how quiet it was. With
``--profile`` it also prints where scratchdl's Conv2d and ConvTranspose2d spend their
time. With ``--cpu`` (only with ``OPENBLAS_NUM_THREADS=1``) every time is the process's
CPU time rather than wall time, which a busy shared machine disturbs far less.
"""

from __future__ import annotations

import sys

import numpy as np
import torch
from timing import (
    forward_backward_pair,
    matmul_rate,
    median_time,
    setup_threads,
    side_by_side,
    use_cpu_clock,
)

from scratchdl import nn
from scratchdl.functional import pad_spatial, sliding_windows

TARGET = 1.5
N = 64
CONV_SHAPES = [  # (C_in, C_out, spatial size): middle layer, first layer, wide late layer
    (16, 32, 28),
    (1, 16, 28),
    (64, 64, 7),
]


def conv_case(rng, nd, c_in, c_out, size):
    """A Conv1d/Conv2d pair, its data and its FLOPs (three products of equal size)."""
    dtype = np.float32
    if nd == 2:
        ours = nn.Conv2d(c_in, c_out, 3, padding=1, rng=rng, dtype=dtype)
        theirs = torch.nn.Conv2d(c_in, c_out, 3, padding=1)
        spatial = (size, size)
    else:
        ours = nn.Conv1d(c_in, c_out, 9, padding=4, rng=rng, dtype=dtype)
        theirs = torch.nn.Conv1d(c_in, c_out, 9, padding=4)
        spatial = (size * size,)
    x = rng.standard_normal((N, c_in, *spatial), dtype=dtype)
    dout = rng.standard_normal((N, c_out, *spatial), dtype=dtype)
    flops = 3 * 2 * N * c_out * int(np.prod(spatial)) * c_in * 9
    name = f"Conv{nd}d {N}x{c_in}x{'x'.join(map(str, spatial))}->{c_out}"
    return name, ours, theirs, x, dout, flops


def pool_case(rng, kind):
    ours = (nn.MaxPool2d if kind == "max" else nn.AvgPool2d)(2)
    theirs = (torch.nn.MaxPool2d if kind == "max" else torch.nn.AvgPool2d)(2)
    x = rng.standard_normal((N, 32, 28, 28), dtype=np.float32)
    dout = rng.standard_normal((N, 32, 14, 14), dtype=np.float32)
    return f"{type(ours).__name__}(2) {N}x32x28x28", ours, theirs, x, dout, 0


def transpose_case(rng):
    ours = nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1, rng=rng, dtype=np.float32)
    theirs = torch.nn.ConvTranspose2d(32, 16, 4, stride=2, padding=1)
    x = rng.standard_normal((N, 32, 14, 14), dtype=np.float32)
    dout = rng.standard_normal((N, 16, 28, 28), dtype=np.float32)
    flops = 3 * 2 * N * 32 * 14 * 14 * 16 * 16
    return f"ConvTranspose2d {N}x32x14x14->16 k4 s2", ours, theirs, x, dout, flops


def profile_conv(rng, c_in, c_out, size):
    """Median time of each stage of scratchdl's Conv2d forward + backward on one shape,
    the stages of the package's grouped route (``_forward_grouped``/``_backward_grouped``)
    run over every group of samples."""
    _, layer, _, x, dout, _ = conv_case(rng, 2, c_in, c_out, size)
    w = layer.weight.reshape(c_out, -1)
    layer.forward(x)
    groups = layer.cols
    positions = size * size
    size_ = layer._group_size(N, positions)
    starts = range(0, N, size_)
    windows = sliding_windows(pad_spatial(x, layer.padding), layer.kernel_size,
                              layer.stride, layer.dilation)
    order = (1, 4, 5, 0, 2, 3)
    parts = [dout[first:first + size_].swapaxes(0, 1) for first in starts]
    deltas = [part.reshape(c_out, -1) for part in parts]
    buffers = layer._stride_one_buffers(size_, dout.dtype)
    stages = {
        "pad": lambda: pad_spatial(x, layer.padding),
        "im2col by groups (strided copy)": lambda: [
            windows[first:first + size_].transpose(order).reshape(w.shape[1], -1)
            for first in starts],
        "forward W @ cols": lambda: [w @ cols for cols in groups],
        "upstream gradient by groups (copy)": lambda: [
            part.reshape(c_out, -1) for part in parts],
        "weight grad cols @ delta^T": lambda: [
            cols @ delta.T for cols, delta in zip(groups, deltas, strict=True)],
        "bias grad": lambda: dout.sum(axis=(0, 2, 3)),
        "input grad W^T delta + stride-1 fold": lambda: [
            layer._fold_stride_one(w, part, buffers) for part in parts],
    }
    total = median_time(lambda: (layer.zero_grad(), layer.forward(x), layer.backward(dout)))
    print(f"profile of scratchdl Conv2d {N}x{c_in}x{size}x{size}->{c_out} forward + "
          f"backward ({len(groups)} groups of {size_} samples): {total * 1e3:.2f} ms")
    for name, fn in stages.items():
        seconds = median_time(fn)
        print(f"  {name:<40} {seconds * 1e3:7.2f} ms  {seconds / total:5.0%}")


def profile(rng):
    """Where scratchdl's time goes: Conv2d stage by stage (the stages the layer runs) on
    two shapes, ConvTranspose2d's two passes."""
    for c_in, c_out, size in (CONV_SHAPES[0], CONV_SHAPES[2]):
        profile_conv(rng, c_in, c_out, size)
    name, layer, _, x, dout, _ = transpose_case(rng)
    layer.forward(x)
    forward = median_time(lambda: layer.forward(x))
    backward = median_time(lambda: layer.backward(dout))
    print(f"profile of scratchdl {name}: forward {forward * 1e3:.2f} ms, "
          f"backward {backward * 1e3:.2f} ms")


def main() -> int:
    setup_threads()
    if "--cpu" in sys.argv:
        use_cpu_clock()
        print("clock: this process's CPU time (one thread)")
    else:
        print("clock: wall time")
    rng = np.random.default_rng(0)
    matmul = matmul_rate(rng)
    print(f"NumPy float32 matmul 1024^3: {matmul / 1e9:.1f} GFLOP/s")
    cases = [conv_case(rng, nd, *shape) for nd in (2, 1) for shape in CONV_SHAPES]
    cases += [pool_case(rng, "max"), pool_case(rng, "avg"), transpose_case(rng)]
    ratios = {}
    for name, ours, theirs, x, dout, flops in cases:
        ours_step, theirs_step = forward_backward_pair(ours, theirs, x, dout)
        ratios[name] = side_by_side(name, ours_step, theirs_step, flops, matmul)
    missed = [name for name, ratio in ratios.items() if ratio > TARGET]
    print(f"target ratio <= {TARGET}: "
          + ("met by every case" if not missed else f"missed by {', '.join(missed)}"))
    if "--profile" in sys.argv:
        profile(rng)
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
