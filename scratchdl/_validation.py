"""Checks shared by every public entry point of scratchdl.

Each helper raises ``TypeError`` or ``ValueError`` whose message names the argument, what
was expected and what came, so a reader who passes the wrong thing learns what to fix.
None of them modifies its input.
"""

from __future__ import annotations

import numbers

import numpy as np

FLOAT_DTYPES = (np.float32, np.float64)


class NonFiniteError(ValueError):
    """An array that must be finite holds NaN or inf.

    A ``ValueError`` like every bad input; its own class lets the training loop tell a
    network that diverged (non-finite activations) from any other mistake.
    """


def check_rng(rng, name: str = "rng") -> np.random.Generator:
    """Return a ``np.random.Generator`` from a Generator, an integer seed or ``None``.

    ``None`` gives a generator seeded from fresh OS entropy (not reproducible); the book
    always passes a seed or a Generator so that a chapter run twice prints the same numbers.
    """
    if isinstance(rng, np.random.Generator):
        return rng
    if rng is None or (isinstance(rng, numbers.Integral) and not isinstance(rng, bool)):
        return np.random.default_rng(rng)
    raise TypeError(
        f"{name} must be a numpy.random.Generator, an int seed or None, "
        f"got {type(rng).__name__}"
    )


def check_float_array(
    x, name: str, *, ndim=None, dtype=None, allow_nonfinite: bool = False, owner: str = ""
) -> np.ndarray:
    """Check that ``x`` is a floating-point ndarray of the expected rank, dtype and finiteness.

    Parameters
    ----------
    x : array
        The value to check. Lists are not accepted: layers expect arrays.
    name : str
        The argument's name, used in messages.
    ndim : int or tuple of int, optional
        Allowed ranks.
    dtype : numpy dtype, optional
        The exact dtype required (a layer's parameter dtype).
    allow_nonfinite : bool
        If False (default), NaN or inf raises ``ValueError``.
    owner : str
        Prefix for messages, e.g. ``"Linear(3, 4)"``.
    """
    where = f"{owner}: " if owner else ""
    if not isinstance(x, np.ndarray):
        raise TypeError(f"{where}{name} must be a numpy array, got {type(x).__name__}")
    if x.dtype not in FLOAT_DTYPES:
        raise TypeError(f"{where}{name} must have dtype float32 or float64, got {x.dtype}")
    if dtype is not None and x.dtype != np.dtype(dtype):
        raise TypeError(
            f"{where}{name} has dtype {x.dtype} but the parameters are {np.dtype(dtype)}; "
            f"cast the input with .astype(np.{np.dtype(dtype)}) or the module with .to()"
        )
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if x.ndim not in allowed:
            want = " or ".join(str(a) for a in allowed)
            raise ValueError(
                f"{where}{name} must have {want} dimensions, got shape {x.shape}"
            )
    if not allow_nonfinite and not np.all(np.isfinite(x)):
        bad = int(np.size(x) - np.count_nonzero(np.isfinite(x)))
        raise NonFiniteError(f"{where}{name} contains {bad} NaN or infinite value(s)")
    return x


def check_int_labels(y, name: str, *, n_classes=None, length=None, owner: str = "") -> np.ndarray:
    """Check an array of integer class labels in ``[0, n_classes)``."""
    where = f"{owner}: " if owner else ""
    if not isinstance(y, np.ndarray):
        raise TypeError(f"{where}{name} must be a numpy array, got {type(y).__name__}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"{where}{name} must hold integer class labels, got dtype {y.dtype}")
    if length is not None and (y.ndim != 1 or y.shape[0] != length):
        raise ValueError(f"{where}{name} must have shape ({length},), got {y.shape}")
    if n_classes is not None and y.size and (y.min() < 0 or y.max() >= n_classes):
        raise ValueError(
            f"{where}{name} must lie in [0, {n_classes}), got values from {y.min()} to {y.max()}"
        )
    return y


def check_number(
    value,
    name: str,
    *,
    low=None,
    high=None,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
    integer: bool = False,
    owner: str = "",
):
    """Check a scalar hyperparameter lies in a range; return it as ``int`` or ``float``."""
    where = f"{owner}: " if owner else ""
    kind = numbers.Integral if integer else numbers.Real
    if isinstance(value, bool) or not isinstance(value, kind):
        expected = "an integer" if integer else "a real number"
        raise TypeError(f"{where}{name} must be {expected}, got {value!r}")
    if not integer and not np.isfinite(value):
        raise ValueError(f"{where}{name} must be finite, got {value!r}")
    too_low = low is not None and (value < low if low_inclusive else value <= low)
    too_high = high is not None and (value > high if high_inclusive else value >= high)
    if too_low or too_high:
        lo = "-inf" if low is None else f"{low}"
        hi = "inf" if high is None else f"{high}"
        opening, closing = ("[" if low_inclusive else "("), ("]" if high_inclusive else ")")
        interval = f"{opening}{lo}, {hi}{closing}"
        raise ValueError(f"{where}{name} must be in {interval}, got {value!r}")
    return int(value) if integer else float(value)


#: The most elements any one array that an argument sizes may have: 2**30, i.e. 8 GiB of
#: float64, more than the machines the book is built on can spare and some 20 times the
#: largest array any chapter makes. A size past it is almost surely a typo (``10**6`` for
#: ``10**3``) or an unchecked value, so it is refused with a clear message before NumPy
#: tries, instead of a ``MemoryError`` or the process being killed for memory.
MAX_ELEMENTS = 2**30


def check_allocation(shape, dtype=np.float64, *, owner: str = "", what: str = "array") -> None:
    """Refuse an allocation of ``shape`` if it holds more than :data:`MAX_ELEMENTS` elements.

    Call it before creating an array whose size comes from an argument (a layer's weight,
    a padded input, a one-hot matrix, a data set).

    Parameters
    ----------
    shape : tuple of int
        The shape about to be allocated (Python ints, so the product cannot overflow).
    dtype : numpy dtype
        Used only to state the size in bytes in the message.
    owner : str
        Prefix of the message, e.g. ``"Linear(1000000, 1000000)"``.
    what : str
        What the array is, e.g. ``"weight"``.
    """
    where = f"{owner}: " if owner else ""
    count = 1
    for size in shape:
        count *= int(size)
    if count > MAX_ELEMENTS:
        gib = count * np.dtype(dtype).itemsize / 2**30
        raise ValueError(
            f"{where}{what} of shape {tuple(int(s) for s in shape)} would hold {count:,} "
            f"elements ({gib:,.0f} GiB), more than the {MAX_ELEMENTS:,} any one array may "
            f"have (scratchdl._validation.MAX_ELEMENTS); check the sizes you passed"
        )


def check_instance(value, name: str, *, needs=(), owner: str = "") -> None:
    """Check that ``value`` is an object with the methods ``needs``, not a class.

    Catches the common slip of passing ``CrossEntropyLoss`` for ``CrossEntropyLoss()``
    (or an optimizer class for an optimizer), whose methods exist but are unbound.
    """
    where = f"{owner}: " if owner else ""
    if isinstance(value, type):
        raise TypeError(f"{where}{name} must be an instance, got the class {value.__name__}; "
                        f"call it first, e.g. {value.__name__}(...)")
    for method in needs:
        if not callable(getattr(value, method, None)):
            raise TypeError(f"{where}{name} must have a {method}() method, "
                            f"got {type(value).__name__}")


def check_writeable(array, name: str, *, owner: str = "") -> None:
    """Refuse a read-only array that a function is about to fill in place."""
    if isinstance(array, np.ndarray) and not array.flags.writeable:
        where = f"{owner}: " if owner else ""
        raise ValueError(f"{where}{name} is read-only (flags.writeable is False) but is filled "
                         f"in place; pass a writeable array, e.g. {name}.copy()")
