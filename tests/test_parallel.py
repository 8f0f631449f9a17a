"""scratchdl._parallel: parts of a layer's work on several threads, the BLAS on one each."""

from __future__ import annotations

import os
import signal
import threading
import time

import numpy as np
import pytest
from threadpoolctl import threadpool_info

from scratchdl import _parallel


def openblas_threads_by_threadpoolctl():
    """The thread count of NumPy's OpenBLAS as threadpoolctl, an independent reader, sees it.

    NumPy's copy is the one in its wheel's ``numpy.libs``; SciPy's wheel ships another
    (``scipy.libs``), listed too once a test has imported SciPy, with its own count."""
    libs = os.path.realpath(os.path.join(os.path.dirname(np.__file__), os.pardir,
                                         "numpy.libs"))
    counts = [pool["num_threads"] for pool in threadpool_info()
              if pool["internal_api"] == "openblas"
              and os.path.realpath(pool["filepath"]).startswith(libs + os.sep)]
    assert len(counts) == 1, "NumPy's OpenBLAS not found by threadpoolctl"
    return counts[0]


@pytest.fixture
def blas_two_threads():
    """NumPy's OpenBLAS set to two threads for one test, then back to what it was."""
    get, set_ = _parallel._functions()
    before = get()
    set_(2)
    yield
    set_(before)


def test_openblas_of_numpy_is_found_and_read_right():
    # The wheel NumPy is installed from ships OpenBLAS; the thread count read through it is
    # the one threadpoolctl reads for NumPy's copy, also with SciPy's copy loaded beside it
    # (at another count), and a change made through it is the one threadpoolctl sees.
    import scipy.linalg  # noqa: F401  (loads SciPy's own OpenBLAS)

    assert _parallel._functions() is not None
    get, set_ = _parallel._functions()
    before = get()
    try:
        for threads in (2, 1):
            set_(threads)
            assert _parallel.blas_threads() == openblas_threads_by_threadpoolctl() == threads
    finally:
        set_(before)


def test_parts_run_on_threads_with_a_one_thread_blas(blas_two_threads):
    seen = []

    def part(k):
        seen.append((threading.current_thread().name, _parallel._functions()[0]()))
        a = np.full((64, 64), float(k))
        return a @ a

    results = _parallel.run_parts(part, [1, 2, 3, 4])
    # In the order of the parts, each its own result.
    for k, result in zip([1, 2, 3, 4], results, strict=True):
        np.testing.assert_array_equal(result, np.full((64, 64), 64.0 * k * k))
    assert all(name.startswith("scratchdl") for name, _ in seen)  # the pool's threads
    assert all(threads == 1 for _, threads in seen)  # the BLAS on one thread meanwhile
    assert openblas_threads_by_threadpoolctl() == 2  # and back to two after
    assert _parallel.blas_threads() == 2


def test_one_thread_or_one_part_runs_in_the_callers_thread(blas_two_threads):
    here = threading.current_thread().name
    names = _parallel.run_parts(lambda _: threading.current_thread().name, [0, 1],
                                threads=1)
    assert names == [here, here]
    assert _parallel.run_parts(lambda _: threading.current_thread().name, [0]) == [here]


def test_a_failing_part_raises_after_the_others_finish_and_restores_the_blas(
        blas_two_threads):
    finished = []

    def part(k):
        if k == 1:
            raise ValueError("part 1 failed")
        finished.append(k)
        return k

    with pytest.raises(ValueError, match="part 1 failed"):
        _parallel.run_parts(part, [0, 1, 2, 3])
    assert sorted(finished) == [0, 2, 3]
    assert openblas_threads_by_threadpoolctl() == 2


def test_parts_inside_a_part_run_in_order(blas_two_threads):
    # A part's own parts would wait for the pool's threads, which are busy with the outer
    # parts: they run in order in the part's thread instead.
    def outer(k):
        here = threading.current_thread().name
        inner = _parallel.run_parts(lambda _: threading.current_thread().name, [0, 1, 2])
        return inner == [here] * 3

    assert _parallel.run_parts(outer, [0, 1]) == [True, True]


def test_concurrent_callers_restore_the_blas_threads_once(blas_two_threads):
    # Two callers at once: the first to start saves the thread count, the last to finish
    # restores it; neither leaves the BLAS stuck on one thread.
    barrier = threading.Barrier(2)

    def caller():
        _parallel.run_parts(lambda _: barrier.wait(timeout=10) if _ == 0 else None,
                            [0, 1])

    threads = [threading.Thread(target=caller) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert openblas_threads_by_threadpoolctl() == 2
    assert _parallel.blas_threads() == 2


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork exists on Linux and macOS only")
def test_a_forked_child_starts_a_pool_of_its_own(blas_two_threads):
    # The pool's threads do not survive fork; a child using the parent's pool would wait
    # forever for threads that the pool believes idle.
    def slow(k):
        time.sleep(0.05)  # both of the pool's threads take a part, then wait idle
        return k

    assert _parallel.run_parts(slow, [0, 1]) == [0, 1]
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        try:
            ok = _parallel.run_parts(lambda k: k * 2, [1, 2]) == [2, 4]
            os.write(write, b"1" if ok else b"0")
        finally:
            os._exit(0)
    os.close(write)
    deadline = time.monotonic() + 30
    while os.waitpid(pid, os.WNOHANG) == (0, 0):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            pytest.fail("the forked child's run_parts did not return in 30 s")
        time.sleep(0.01)
    assert os.read(read, 1) == b"1"


def test_no_openblas_means_one_thread_and_parts_in_order(monkeypatch):
    monkeypatch.setattr(_parallel, "_blas", None)
    assert _parallel.blas_threads() == 1
    here = threading.current_thread().name
    assert _parallel.run_parts(lambda _: threading.current_thread().name, [0, 1]) == [
        here, here]


@pytest.mark.parametrize(("n", "per_sample", "least", "threads", "count"), [
    (64, 870, 4096, 2, 2),  # the benchmark's 16 -> 32 channel layer: two parts
    (64, 72, 4096, 2, 1),  # 7x7 maps: too little work for two parts
    (5, 10, 1, 8, 5),  # never more parts than samples
    (7, 10, 20, 3, 3),
    (1, 10**6, 1, 4, 1),
    (9, 1, 1, 1, 1),  # one thread: one part
])
def test_batch_parts_cover_the_batch_in_order(n, per_sample, least, threads, count):
    parts = _parallel.batch_parts(n, per_sample, least, threads)
    assert len(parts) == count
    assert parts[0].start == 0 and parts[-1].stop == n
    assert all(a.stop == b.start for a, b in zip(parts[:-1], parts[1:], strict=True))
    sizes = [part.stop - part.start for part in parts]
    assert min(sizes) >= 1 and max(sizes) - min(sizes) <= 1
    assert all(size * per_sample >= least for size in sizes) or count == 1
