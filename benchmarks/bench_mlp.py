"""Speed of scratchdl's MLP kernels against PyTorch CPU, side by side in one process.

Times, in float32, the forward + backward pass of

* one ``Linear`` layer (batch 512, 1024 -> 1024), which is three matrix products, and
* a full MLP training step (784-512-512-10 with ReLU, softmax cross-entropy, Adam),

for scratchdl and for PyTorch, interleaved, median of several repeats after a warm-up, with
PyTorch's thread count set to the number of BLAS threads NumPy uses. It prints both thread
counts, the BLAS library NumPy runs, the achieved FLOP rates and the ratio
scratchdl / PyTorch (below 1 means scratchdl is faster).

Run it with ``.venv/bin/python benchmarks/bench_mlp.py`` after ``make test`` (which installs
PyTorch). On machines where ``OPENBLAS_CORETYPE`` / ``OPENBLAS_L2_SIZE`` are set, compare
with ``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE`` for this script only.
"""

from __future__ import annotations

import numpy as np
import torch
from timing import forward_backward_pair, matmul_rate, setup_threads, side_by_side

from scratchdl.losses import CrossEntropyLoss
from scratchdl.nn import Linear, ReLU, Sequential
from scratchdl.optim import Adam


def bench_linear(rng, matmul) -> None:
    n, d_in, d_out = 512, 1024, 1024
    layer = Linear(d_in, d_out, rng=rng, dtype=np.float32)
    twin = torch.nn.Linear(d_in, d_out)
    x = rng.standard_normal((n, d_in), dtype=np.float32)
    dout = rng.standard_normal((n, d_out), dtype=np.float32)
    ours, theirs = forward_backward_pair(layer, twin, x, dout)

    side_by_side("Linear 512x1024->1024 fwd+bwd", ours, theirs, 3 * 2 * n * d_in * d_out, matmul)


def bench_mlp_step(rng, matmul) -> None:
    n, sizes = 256, (784, 512, 512, 10)
    model = Sequential(
        Linear(sizes[0], sizes[1], rng=rng, dtype=np.float32), ReLU(),
        Linear(sizes[1], sizes[2], rng=rng, dtype=np.float32), ReLU(),
        Linear(sizes[2], sizes[3], rng=rng, dtype=np.float32),
    )
    twin = torch.nn.Sequential(
        torch.nn.Linear(sizes[0], sizes[1]), torch.nn.ReLU(),
        torch.nn.Linear(sizes[1], sizes[2]), torch.nn.ReLU(),
        torch.nn.Linear(sizes[2], sizes[3]),
    )
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in model.state_dict().items()})
    loss, optimizer = CrossEntropyLoss(), Adam(model, lr=1e-3)
    twin_loss, twin_optimizer = torch.nn.CrossEntropyLoss(), torch.optim.Adam(twin.parameters())
    x = rng.standard_normal((n, sizes[0]), dtype=np.float32)
    y = rng.integers(0, sizes[-1], n)
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)

    def ours():
        optimizer.zero_grad()
        loss(model.forward(x), y)
        model.backward(loss.backward())
        optimizer.step()

    def theirs():
        twin_optimizer.zero_grad()
        twin_loss(twin(xt), yt).backward()
        twin_optimizer.step()

    macs = sum(a * b for a, b in zip(sizes[:-1], sizes[1:], strict=False))
    side_by_side("MLP 784-512-512-10 train step", ours, theirs, 3 * 2 * n * macs, matmul)


def main() -> None:
    setup_threads()
    rng = np.random.default_rng(0)
    matmul = matmul_rate(rng)
    print(f"NumPy float32 matmul 1024^3: {matmul / 1e9:.1f} GFLOP/s")
    bench_linear(rng, matmul)
    bench_mlp_step(rng, matmul)


if __name__ == "__main__":
    main()
