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

import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info

from scratchdl.losses import CrossEntropyLoss
from scratchdl.nn import Linear, ReLU, Sequential
from scratchdl.optim import Adam

REPEATS = 15
PAUSE = 0.2  # seconds: let OpenBLAS worker threads stop spinning before each timed call


def blas_threads() -> tuple[int, str]:
    """Threads and library of the BLAS that NumPy calls."""
    for pool in threadpool_info():
        if pool["user_api"] == "blas":
            return pool["num_threads"], f"{pool['internal_api']} {pool.get('version', '')} " \
                f"({pool.get('architecture', '?')})"
    return 1, "unknown"


def median_time(fn) -> float:
    fn()  # warm-up
    times = []
    for _ in range(REPEATS):
        time.sleep(PAUSE)
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def side_by_side(name: str, ours, theirs, flops: float) -> None:
    """Time both implementations interleaved and print the comparison."""
    t_ours, t_theirs = [], []
    ours(), theirs()
    for _ in range(REPEATS):
        for fn, store in ((ours, t_ours), (theirs, t_theirs)):
            time.sleep(PAUSE)
            start = time.perf_counter()
            fn()
            store.append(time.perf_counter() - start)
    a, b = statistics.median(t_ours), statistics.median(t_theirs)
    print(
        f"{name:<34} scratchdl {a * 1e3:8.2f} ms ({flops / a / 1e9:6.1f} GFLOP/s)   "
        f"torch {b * 1e3:8.2f} ms ({flops / b / 1e9:6.1f} GFLOP/s)   ratio {a / b:5.2f}"
    )


def bench_matmul(rng) -> float:
    a = rng.standard_normal((1024, 1024), dtype=np.float32)
    b = rng.standard_normal((1024, 1024), dtype=np.float32)
    seconds = median_time(lambda: a @ b)
    return 2 * 1024**3 / seconds


def bench_linear(rng) -> None:
    n, d_in, d_out = 512, 1024, 1024
    layer = Linear(d_in, d_out, rng=rng, dtype=np.float32)
    twin = torch.nn.Linear(d_in, d_out)
    twin.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in layer.state_dict().items()})
    x = rng.standard_normal((n, d_in), dtype=np.float32)
    dout = rng.standard_normal((n, d_out), dtype=np.float32)
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

    side_by_side("Linear 512x1024->1024 fwd+bwd", ours, theirs, flops=3 * 2 * n * d_in * d_out)


def bench_mlp_step(rng) -> None:
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
    side_by_side("MLP 784-512-512-10 train step", ours, theirs, flops=3 * 2 * n * macs)


def main() -> None:
    threads, library = blas_threads()
    torch.set_num_threads(threads)
    print(f"NumPy {np.__version__} BLAS: {library}, {threads} thread(s)")
    print(f"PyTorch {torch.__version__}: {torch.get_num_threads()} thread(s)")
    rng = np.random.default_rng(0)
    print(f"NumPy float32 matmul 1024^3: {bench_matmul(rng) / 1e9:.1f} GFLOP/s")
    bench_linear(rng)
    bench_mlp_step(rng)


if __name__ == "__main__":
    main()
