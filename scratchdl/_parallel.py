"""Run the independent parts of a layer's work on several threads at once.

NumPy calls OpenBLAS for a matrix product, and OpenBLAS splits one product over the BLAS
threads it has (``OPENBLAS_NUM_THREADS``). For the long, thin products of a convolution
over few channels that split scales poorly (on the 2-core machine of ``benchmarks/``,
1.35x to 1.5x from a second thread), and every copy between the products runs on one
thread only. Splitting the *batch* instead, each part on its own Python thread with a
one-thread BLAS, keeps both cores busy with whole products and copies: NumPy releases
the interpreter lock inside both. :func:`run_parts` does that when the BLAS has more than
one thread; with one it simply calls the parts in order.

The number of BLAS threads is read and set through OpenBLAS's own functions, in the copy
of OpenBLAS that NumPy's wheel ships (``numpy.libs``). Where NumPy uses another BLAS, or
that library is not found, :func:`blas_threads` says 1 and nothing runs in parallel.
OpenBLAS's thread count is one setting for the whole process, so while parts run it is 1
for every thread; it is restored when the last running :func:`run_parts` call returns.
"""

from __future__ import annotations

import ctypes
import glob
import os
import threading
from concurrent.futures import ThreadPoolExecutor, wait

import numpy as np

# Names of OpenBLAS's get/set functions: SciPy's build of it in NumPy's wheels (64-bit
# integers, prefixed), OpenBLAS's own 64-bit and 32-bit integer builds.
_SYMBOLS = (
    ("scipy_openblas_get_num_threads64_", "scipy_openblas_set_num_threads64_"),
    ("openblas_get_num_threads64_", "openblas_set_num_threads64_"),
    ("openblas_get_num_threads", "openblas_set_num_threads"),
)
_UNSET = object()
_blas = _UNSET  # (get, set) once looked up; None when there is no OpenBLAS to control
_lock = threading.Lock()
_running = 0  # run_parts calls in progress (the BLAS runs on one thread while > 0)
_saved = 1  # the BLAS thread count to restore when the last of them returns
_pool = None
_pool_size = 0
_local = threading.local()  # .inside: this thread is running a part


def _find_openblas():
    """OpenBLAS's (get, set) thread-count functions in NumPy's wheel, or None."""
    libs = os.path.join(os.path.dirname(np.__file__), os.pardir, "numpy.libs")
    for path in sorted(glob.glob(os.path.join(libs, "*openblas*"))):
        try:
            # Loading a library the process has loaded already returns that same copy.
            library = ctypes.CDLL(path)
        except OSError:
            continue
        for get_name, set_name in _SYMBOLS:
            get = getattr(library, get_name, None)
            set_ = getattr(library, set_name, None)
            if get is not None and set_ is not None:
                get.restype, get.argtypes = ctypes.c_int, []
                set_.restype, set_.argtypes = None, [ctypes.c_int]
                return get, set_
    return None


def _functions():
    global _blas
    if _blas is _UNSET:
        _blas = _find_openblas()
    return _blas


def blas_threads() -> int:
    """The number of threads NumPy's BLAS uses for one product (1 if it cannot be told)."""
    functions = _functions()
    if functions is None:
        return 1
    with _lock:
        return _saved if _running else max(1, functions[0]())


def _executor(threads):
    global _pool, _pool_size
    if _pool is None or _pool_size < threads:
        if _pool is not None:
            _pool.shutdown(wait=False)
        _pool, _pool_size = ThreadPoolExecutor(threads, "scratchdl"), threads
    return _pool


def _forget_pool():
    """In a child process made by ``fork`` the pool's threads do not exist: start anew."""
    global _pool, _pool_size, _lock, _running
    _pool, _pool_size, _lock, _running = None, 0, threading.Lock(), 0


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(after_in_child=_forget_pool)


def batch_parts(n, per_sample, least, threads=None):
    """Slices cutting a batch of ``n`` samples into one part per thread (``threads``,
    default :func:`blas_threads`), as many as give every part at least ``least`` units
    of work at ``per_sample`` units per sample; at least one part, the whole batch."""
    if threads is None:
        threads = blas_threads()
    parts = max(1, min(threads, n, n * per_sample // least))
    bounds = [n * k // parts for k in range(parts + 1)]
    return [slice(bounds[k], bounds[k + 1]) for k in range(parts)]


def _in_part(function, part):
    _local.inside = True
    try:
        return function(part)
    finally:
        _local.inside = False


def run_parts(function, parts, threads=None):
    """``[function(part) for part in parts]``, the parts on separate threads when the
    BLAS has several.

    With ``threads`` (default :func:`blas_threads`) above 1 and more than one part, the
    parts run on a pool of that many threads while OpenBLAS runs each product on one
    thread; the results come back in the order of ``parts``. If a part raises, the others
    are still waited for, then the first exception (in the order of ``parts``) is raised.
    """
    parts = list(parts)
    if threads is None:
        threads = blas_threads()
    if threads < 2 or len(parts) < 2 or getattr(_local, "inside", False):
        # A part that itself has parts runs them in order: its pool's threads are busy.
        return [function(part) for part in parts]
    global _running, _saved
    functions = _functions()
    with _lock:
        if functions is not None and _running == 0:
            _saved = functions[0]()
            functions[1](1)
        _running += 1
        pool = _executor(threads)
    try:
        futures = [pool.submit(_in_part, function, part) for part in parts]
        wait(futures)
        return [future.result() for future in futures]
    finally:
        with _lock:
            _running -= 1
            if functions is not None and _running == 0:
                functions[1](_saved)
