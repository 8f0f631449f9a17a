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

import math
import sys

import numpy as np
import torch
from timing import (
    blas_threads,
    forward_backward_pair,
    matmul_rate,
    median_time,
    setup_threads,
    side_by_side,
    use_cpu_clock,
)

from scratchdl import nn
from scratchdl.nn.conv import _inside, _Stacked

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
    the stages of the package's stacked stride-1 route (``_forward_stride_one`` and
    ``_backward_stride_one``), each run over every group of samples, on the layer's own
    work arrays. The layer runs the batch as one part here (with several BLAS threads the
    benchmark's timing cuts it into one part per thread, each on one BLAS thread)."""
    _, layer, _, x, dout, _ = conv_case(rng, 2, c_in, c_out, size)
    layer._threads = 1  # the whole batch as one part: the stages below are one part's
    layer.forward(x)
    layer.backward(dout)
    work, kernel, dilation = layer._work, layer.kernel_size, layer.dilation
    spatial = x.shape[2:]
    pad_d = [d * (k - 1) - p for p, d, k in zip(layer.padding, dilation, kernel, strict=True)]
    layout = _Stacked(N, spatial, layer.padding, kernel, dilation)
    layout_d = _Stacked(N, dout.shape[2:], pad_d, kernel, dilation)
    run, run_d = layout.step * layout.row, layout_d.step * layout_d.row
    rows = c_in * 9
    size_ = layer._group_size(N, run)
    groups = [(first, min(size_, N - first)) for first in range(0, N, size_)]
    w = layer._weight_and_bias()
    w_flip = layer.weight[:, :, ::-1, ::-1].swapaxes(0, 1).reshape(c_in, -1)
    flat, cols, product = work["x0"], work["cols0"], work["product0"]
    flat_d, cols_d, result = work["dout0"], work["cols_d0"], work["dx0"]
    x_at = flat[:, layout.start:layout.start + N * run_d]  # "same" padding
    y, dx = np.empty(dout.shape, dout.dtype), np.empty(x.shape, x.dtype)
    step = np.empty((cols_d.shape[0], c_in), x.dtype)

    def columns(first, m):
        layout.columns(flat, first, m, kernel, cols[:rows, :m * run].reshape(c_in, 3, 3, -1))

    def forward_product(first, m):
        np.matmul(w, cols[:, :m * run], out=product[:, :m * run])

    def output_copy(first, m):
        y[first:first + m] = layout.outputs(product[:, :m * run], m, layout.out).swapaxes(0, 1)

    def delta_columns(first, m):
        layout_d.columns(flat_d, first, m, kernel,
                         cols_d[:, :m * run_d].reshape(c_out, 3, 3, -1))

    def weight_product(first, m):
        np.matmul(cols_d[:, :m * run_d], x_at[:, first * run_d:(first + m) * run_d].T,
                  out=step)

    def input_product(first, m):
        np.matmul(w_flip, cols_d[:, :m * run_d], out=result[:, :m * run_d])

    def input_copy(first, m):
        dx[first:first + m] = layout_d.outputs(result[:, :m * run_d], m, spatial).swapaxes(0, 1)

    stages = {
        "pad and stack x": lambda: layout.samples(flat, N, spatial).__setitem__(
            Ellipsis, x.swapaxes(0, 1)),
        "columns of x": columns,
        "forward product W @ cols": forward_product,
        "output copy": output_copy,
        "pad and stack dout": lambda: layout_d.samples(flat_d, N, spatial).__setitem__(
            Ellipsis, dout.swapaxes(0, 1)),
        "columns of dout, D": delta_columns,
        "weight grad D @ X^T": weight_product,
        "input grad W_flip @ D": input_product,
        "input gradient copy": input_copy,
        "bias grad (sum of dout)": lambda: dout.sum(axis=(0, 2, 3)),
    }
    report(f"the stacked route, the batch as one part on {blas_threads()[0]} BLAS "
           f"thread(s)", layer, x, dout, stages, groups)


def report(route, layer, x, dout, stages, groups):
    """Print the median time of the layer's forward + backward pass and of each stage
    (a stage taking ``(first, m)`` runs over every group of samples)."""
    total_time = median_time(
        lambda: (layer.zero_grad(), layer.forward(x), layer.backward(dout)))
    print(f"profile of scratchdl {layer!r} on {x.shape}, {route} ({len(groups)} groups of "
          f"up to {groups[0][1]} samples): forward + backward {total_time * 1e3:.2f} ms")
    for name, stage in stages.items():
        if stage.__code__.co_argcount:  # a per-group stage: run it over every group
            seconds = median_time(lambda stage=stage: [stage(*g) for g in groups])
        else:
            seconds = median_time(stage)
        print(f"  {name:<40} {seconds * 1e3:7.2f} ms  {seconds / total_time:5.0%}")


def profile_last(rng, c_in, c_out, size):
    """Median time of each stage of the channels-last route (``_forward_channels_last``
    and ``_backward_channels_last``) on one Conv2d shape, on the layer's work arrays."""
    _, layer, _, x, dout, _ = conv_case(rng, 2, c_in, c_out, size)
    layer.forward(x)
    assert layer._route == "channels last", layer._route
    layer.backward(dout)
    work = layer._work
    x_last, padded = work["x_last"], work["x_padded"]
    cols, product = work["cols_last"], work["product_last"]
    padded_d, cols_d, result = work["dout_last"], work["cols_d_last"], work["dx_last"]
    spatial = x.shape[2:]
    positions = math.prod(spatial)  # "same" padding: as many outputs as inputs
    rows = c_in * 9
    size_ = cols.shape[0] // positions
    groups = [(first, min(size_, N - first)) for first in range(0, N, size_)]
    w = layer._weight_and_bias(np.moveaxis(layer.weight, 1, -1).reshape(c_out, -1))
    w_flip = np.moveaxis(layer.weight[:, :, ::-1, ::-1], (0, 1), (-2, -1)).reshape(-1, c_in)
    inside = _inside(layer.padding, spatial)
    x_rows = x_last.reshape(-1, c_in)
    y, dx = np.empty(dout.shape, dout.dtype), np.empty(x.shape, x.dtype)
    step = np.empty(w_flip.shape, x.dtype)

    def columns(first, m):
        layer._last_columns(padded[first:first + m], cols[:m * positions, :rows])

    def forward_product(first, m):
        np.matmul(cols[:m * positions], w.T, out=product[:m * positions])

    def output_copy(first, m):
        y[first:first + m] = np.moveaxis(
            product[:m * positions].reshape(m, *spatial, c_out), -1, 1)

    def pad_delta(first, m):
        padded_d[:m][inside] = np.moveaxis(dout[first:first + m], 1, -1)

    def delta_columns(first, m):
        layer._last_columns(padded_d[:m], cols_d[:m * positions])

    def weight_product(first, m):
        np.matmul(cols_d[:m * positions].T, x_rows[first * positions:(first + m) * positions],
                  out=step)

    def input_product(first, m):
        np.matmul(cols_d[:m * positions], w_flip, out=result[:m * positions])

    def input_copy(first, m):
        dx[first:first + m] = np.moveaxis(
            result[:m * positions].reshape(m, *spatial, c_in), -1, 1)

    stages = {
        "x, channels last": lambda: np.copyto(x_last, np.moveaxis(x, 1, -1)),
        "pad x": lambda: padded.__setitem__(inside, x_last),
        "columns of x": columns,
        "forward product cols @ W^T": forward_product,
        "output copy": output_copy,
        "pad dout, channels last": pad_delta,
        "columns of padded dout, D": delta_columns,
        "weight grad D^T @ X": weight_product,
        "input grad D @ W_flip": input_product,
        "input gradient copy": input_copy,
        "bias grad (sum of dout)": lambda: dout.sum(axis=(0, 2, 3)),
    }
    report(f"the channels-last route on {blas_threads()[0]} BLAS thread(s)", layer, x, dout,
           stages, groups)


def profile(rng):
    """Where scratchdl's time goes: Conv2d stage by stage (the stages the layer runs) on
    two shapes, one per stride-1 route, ConvTranspose2d's two passes."""
    profile_conv(rng, *CONV_SHAPES[0])
    profile_last(rng, *CONV_SHAPES[2])
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
