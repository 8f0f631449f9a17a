"""What every benchmark script shares: the machine's BLAS, the timing protocol, the report.

The protocol (DESIGN.md): scratchdl and PyTorch CPU run side by side in one process,
interleaved, median of several repeats after a warm-up, PyTorch with as many threads as
NumPy's BLAS uses. Each repeat is a short pause (so the other library's threads have
stopped spinning), one untimed call, then the mean of ``CALLS`` calls in a row: the state
a layer is in inside a training loop. A single call timed right after the pause measured a
cold start instead: PyTorch's forward + backward of ``bench_conv.py``'s 16 -> 32 channel
Conv2d took 19-24 ms that way against 9-11 ms in a loop (in most runs), and scratchdl's 19-32
ms against 16.5-21 ms, so the ratio moved with each library's cold start, not its speed.
"""

from __future__ import annotations

import os
import statistics
import time

import numpy as np
import torch
from threadpoolctl import threadpool_info

REPEATS = 15
PAUSE = 0.3  # seconds: let OpenBLAS worker threads stop spinning before each repeat
CALLS = 3  # timed calls per repeat, after one untimed call
# The clock every timing reads: wall time by default. ``use_cpu_clock()`` switches to this
# process's CPU time, which other processes on a shared machine disturb far less; it
# measures the same thing only when everything runs on one thread.
CLOCK = time.perf_counter


def use_cpu_clock() -> None:
    """Time with this process's CPU time (meaningful with one BLAS and one torch thread)."""
    global CLOCK
    threads, _ = blas_threads()
    if threads != 1 or torch.get_num_threads() != 1:
        raise RuntimeError("CPU time equals wall time only on one thread: run with "
                           "OPENBLAS_NUM_THREADS=1 (PyTorch follows NumPy's BLAS threads)")
    CLOCK = time.process_time


def blas_threads() -> tuple[int, str]:
    """Threads and library of the BLAS that NumPy calls: the copy in NumPy's wheel
    (``numpy.libs``) when there is one, since SciPy's wheel, once imported, lists its own."""
    libs = os.path.realpath(os.path.join(os.path.dirname(np.__file__), os.pardir,
                                         "numpy.libs"))
    pools = [pool for pool in threadpool_info() if pool["user_api"] == "blas"]
    pools.sort(key=lambda pool: not os.path.realpath(pool["filepath"]).startswith(libs))
    for pool in pools:
        library = f"{pool['internal_api']} {pool.get('version', '')}"
        return pool["num_threads"], f"{library} ({pool.get('architecture', '?')})"
    return 1, "unknown"


def setup_threads() -> None:
    """Give PyTorch NumPy's BLAS thread count and print both, with the BLAS kernel."""
    threads, library = blas_threads()
    torch.set_num_threads(threads)
    print(f"NumPy {np.__version__} BLAS: {library}, {threads} thread(s)")
    print(f"PyTorch {torch.__version__}: {torch.get_num_threads()} thread(s)")


def repeat_time(fn) -> float:
    """One repeat: pause, one untimed call of ``fn``, then the mean seconds of ``CALLS``
    calls in a row."""
    time.sleep(PAUSE)
    fn()  # this side's threads awake and its caches filled, as inside a training loop
    start = CLOCK()
    for _ in range(CALLS):
        fn()
    return (CLOCK() - start) / CALLS


def median_time(fn, repeats: int = REPEATS) -> float:
    """Median seconds of ``fn()`` over ``repeats`` repeats (:func:`repeat_time`)."""
    return statistics.median(repeat_time(fn) for _ in range(repeats))


def interleaved(ours, theirs, repeats: int = REPEATS) -> tuple[float, float]:
    """Median seconds of ``ours()`` and ``theirs()``, their repeats taken alternately."""
    t_ours, t_theirs = [], []
    for _ in range(repeats):
        t_ours.append(repeat_time(ours))
        t_theirs.append(repeat_time(theirs))
    return statistics.median(t_ours), statistics.median(t_theirs)


def matmul_rate(rng, size: int = 1024) -> float:
    """FLOP/s of NumPy's float32 matrix product on this machine, now."""
    a = rng.standard_normal((size, size), dtype=np.float32)
    b = rng.standard_normal((size, size), dtype=np.float32)
    return 2 * size**3 / median_time(lambda: a @ b)


def side_by_side(name: str, ours, theirs, flops: float = 0.0, matmul: float = 0.0,
                 repeats: int = REPEATS) -> float:
    """Time both implementations, print times (and FLOP rates), return the ratio ours/theirs.

    With ``matmul`` (the machine's matmul FLOP/s) the rates are also given as its fraction.
    """
    a, b = interleaved(ours, theirs, repeats)
    print(f"{name:<34} scratchdl {a * 1e3:8.2f} ms   torch {b * 1e3:8.2f} ms   "
          f"ratio {a / b:5.2f}")
    if flops:
        def rate(seconds):
            share = f" ({flops / seconds / matmul:.0%} of matmul)" if matmul else ""
            return f"{flops / seconds / 1e9:6.1f} GFLOP/s{share}"
        print(f"{'':<34} scratchdl {rate(a)}   torch {rate(b)}")
    return a / b


def forward_backward_pair(ours, theirs, x, dout, output=lambda y: y):
    """``(ours_step, theirs_step)``: one forward + backward pass of each module, timed alike.

    ``theirs`` gets a copy of ``ours``'s weights first, so both compute the same numbers.
    ``ours_step`` zeroes the gradients, runs ``forward(x)`` and ``backward(dout)``;
    ``theirs_step`` does the same through autograd, with the input's gradient required
    (as inside a network). ``output`` picks the tensor to backpropagate from what
    ``theirs`` returns (``lambda out: out[0]`` for ``torch.nn.LSTM``).
    """
    theirs.load_state_dict({k: torch.from_numpy(np.array(v, copy=True))
                            for k, v in ours.state_dict().items()})
    xt = torch.from_numpy(np.array(x, copy=True)).requires_grad_(True)
    dt = torch.from_numpy(np.array(dout, copy=True))

    def ours_step():
        ours.zero_grad()
        ours.forward(x)
        ours.backward(dout)

    def theirs_step():
        theirs.zero_grad()
        xt.grad = None
        output(theirs(xt)).backward(dt)

    return ours_step, theirs_step
