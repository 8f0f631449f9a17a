"""Show the package's own source code inside a chapter, and numbers typeset for prose.

A chapter never keeps a second copy of the code it explains: it calls
``show_source(Linear.backward)`` and the cell's output is the very source the tests
check. In Jupyter and in the built book (myst-nb renders ``text/markdown`` outputs) it
appears as a highlighted Python block under a line naming the object and its file; in a
terminal ``repr`` gives the plain source.

Numbers in prose are typeset for reading, not printed as Python prints them:
:func:`sci` gives ``1.2 × 10⁻¹⁴`` and ``exactly 0``, :func:`number` gives ``12,345``.
A chapter glues the typeset text, ``glue("err", sci(err), display=False)``, and its prose
shows it with the ``glue:text`` role; :func:`parse_number` reads it back, so the claims
test checks the number exactly as the reader sees it.
"""

from __future__ import annotations

import inspect
import numbers
import re
import sys
import textwrap
from pathlib import Path


class Source:
    """The source code of one class, function or method, ready to display.

    Attributes
    ----------
    name : str
        Qualified name, e.g. ``"Linear.backward"``.
    path : str
        File relative to the directory holding its top-level package, e.g.
        ``"scratchdl/nn/linear.py"``.
    first_line, last_line : int
        Line numbers of the shown code within that file (1-based, inclusive).
    code : str
        The dedented source.
    """

    def __init__(self, name: str, path: str, first_line: int, last_line: int, code: str):
        self.name = name
        self.path = path
        self.first_line = first_line
        self.last_line = last_line
        self.code = code

    def _repr_markdown_(self) -> str:
        # The fence must be longer than any run of backticks inside the code.
        longest = max((len(run) for run in re.findall(r"`+", self.code)), default=0)
        fence = "`" * max(3, longest + 1)
        heading = (f"**`{self.name}`** in `{self.path}`, "
                   f"lines {self.first_line}–{self.last_line}")
        return f"{heading}\n\n{fence}python\n{self.code}\n{fence}\n"

    def __repr__(self) -> str:
        return self.code

    __str__ = __repr__


def show_source(obj, lines=None) -> Source:
    """The source of a class, function, method, property or module, for a notebook.

    Parameters
    ----------
    obj : class, function, method, property or module
        For example ``Linear``, ``scratchdl.functional.softmax`` or ``Linear.backward``.
    lines : (int, int), optional
        Show only lines ``start`` to ``stop`` (1-based, inclusive) counted from the
        object's first line (its ``def`` or ``class`` line, or its first decorator).

    Returns
    -------
    Source
        Renders as a fenced ``python`` block headed by the qualified name and the file.

    Examples
    --------
    >>> from scratchdl.nn import Linear
    >>> show_source(Linear.backward)               # doctest: +SKIP
    >>> show_source(Linear.forward, lines=(1, 5))  # doctest: +SKIP
    """
    target = obj.fget if isinstance(obj, property) else obj
    target = inspect.unwrap(target)
    try:
        source_lines, first_line = inspect.getsourcelines(target)
        filename = inspect.getsourcefile(target)
    except (TypeError, OSError) as error:
        raise TypeError(f"show_source needs a Python class, function, method or property "
                        f"whose source file is available, got {obj!r} ({error})") from None
    first_line = max(first_line, 1)  # a module's source starts at line 0

    if lines is not None:
        start, stop = _check_lines(lines, len(source_lines))
        source_lines = source_lines[start - 1:stop]
        first_line += start - 1
    code = textwrap.dedent("".join(source_lines)).rstrip("\n")
    name = getattr(target, "__qualname__", getattr(target, "__name__", repr(target)))
    return Source(name, _relative_path(filename, target), first_line,
                  first_line + len(source_lines) - 1, code)


def _check_lines(lines, n_lines: int) -> tuple[int, int]:
    ok = (isinstance(lines, tuple) and len(lines) == 2
          and all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in lines))
    if not ok or not 1 <= lines[0] <= lines[1] <= n_lines:
        raise ValueError(f"show_source: lines must be a pair (start, stop) with "
                         f"1 <= start <= stop <= {n_lines} (the object's length), got {lines!r}")
    return int(lines[0]), int(lines[1])


def _relative_path(filename: str, obj) -> str:
    """``filename`` relative to the folder that holds ``obj``'s top-level package."""
    module = obj if inspect.ismodule(obj) else sys.modules.get(getattr(obj, "__module__", ""))
    top = sys.modules.get(module.__name__.split(".")[0]) if module else None
    if top is not None and getattr(top, "__path__", None):
        root = Path(next(iter(top.__path__))).resolve().parent  # the folder above a package
    elif getattr(top, "__file__", None):
        root = Path(top.__file__).resolve().parent  # a single-file module's own folder
    else:
        return Path(filename).name
    try:
        return Path(filename).resolve().relative_to(root).as_posix()
    except ValueError:
        return Path(filename).name


# --- numbers typeset for reading ----------------------------------------------------------

_SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_FROM_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
MINUS = "\u2212"
"""The minus sign of typeset numbers (U+2212), longer than a hyphen."""


def _check_real(x, owner: str) -> float:
    if isinstance(x, bool) or not isinstance(x, numbers.Real):
        raise TypeError(f"{owner}: x must be a real number, got {type(x).__name__}")
    x = float(x)
    if x != x or x in (float("inf"), float("-inf")):
        raise ValueError(f"{owner}: x must be finite, got {x}")
    return x


def _check_count(value, name: str, owner: str, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise ValueError(f"{owner}: {name} must be an integer >= {low}, got {value!r}")
    return int(value)


def sci(x, digits: int = 2) -> str:
    """``x`` in scientific notation as a book prints it: ``1.2 × 10⁻¹⁴``.

    Parameters
    ----------
    x : float
        Finite. An exact zero is ``"exactly 0"`` (no rounding happened, so say so).
    digits : int
        Significant digits of the mantissa (at least 1).

    Returns
    -------
    str
        ``"1.2 × 10⁻¹⁴"``; without the power when the exponent is 0 (``"3.1"``); a
        negative number starts with the minus sign U+2212.

    Examples
    --------
    >>> sci(1.234e-14)
    '1.2 × 10⁻¹⁴'
    >>> sci(0.0)
    'exactly 0'
    >>> sci(-45600, digits=3)
    '−4.56 × 10⁴'
    """
    owner = "sci"
    x = _check_real(x, owner)
    digits = _check_count(digits, "digits", owner, 1)
    if x == 0:
        return "exactly 0"
    mantissa, exponent = f"{abs(x):.{digits - 1}e}".split("e")
    sign = MINUS if x < 0 else ""
    exponent = int(exponent)
    if exponent == 0:
        return f"{sign}{mantissa}"
    return f"{sign}{mantissa} × 10{str(exponent).translate(_SUPERSCRIPTS)}"


def number(x, decimals: int = 0) -> str:
    """``x`` with thousands separators and a fixed number of decimals: ``12,345.7``.

    Parameters
    ----------
    x : float
        Finite.
    decimals : int
        Digits after the decimal point (0 or more).

    Returns
    -------
    str
        A negative number starts with the minus sign U+2212.

    Examples
    --------
    >>> number(12345.67, decimals=1)
    '12,345.7'
    >>> number(-3)
    '−3'
    """
    owner = "number"
    x = _check_real(x, owner)
    decimals = _check_count(decimals, "decimals", owner, 0)
    text = f"{abs(x):,.{decimals}f}"
    negative = x < 0 and float(text.replace(",", "")) != 0  # "-0" is not printed
    return f"{MINUS if negative else ''}{text}"


_TYPESET = re.compile(r"^(?P<mantissa>-?[\d,]+(?:\.\d+)?)"
                      r"(?: × 10(?P<exponent>⁻?[⁰¹²³⁴⁵⁶⁷⁸⁹]+))?$")


def parse_number(text: str) -> float:
    """The number a typeset string shows: the inverse of :func:`sci` and :func:`number`.

    Parameters
    ----------
    text : str
        ``"1.2 × 10⁻¹⁴"``, ``"exactly 0"``, ``"12,345.7"``, ``"−3"``.

    Returns
    -------
    float

    Raises
    ------
    ValueError
        If ``text`` is not a number in one of these forms.

    Examples
    --------
    >>> parse_number("1.2 × 10⁻¹⁴")
    1.2e-14
    >>> parse_number("exactly 0")
    0.0
    """
    owner = "parse_number"
    if not isinstance(text, str):
        raise TypeError(f"{owner}: text must be a str, got {type(text).__name__}")
    if text == "exactly 0":
        return 0.0
    match = _TYPESET.match(text.replace(MINUS, "-"))
    if match is None or not re.fullmatch(r"-?\d{1,3}(,\d{3})*(\.\d+)?|-?\d+(\.\d+)?",
                                         match["mantissa"]):
        raise ValueError(f"{owner}: text must be a typeset number such as '1.2 × 10⁻¹⁴', "
                         f"'12,345.7' or 'exactly 0', got {text!r}")
    value = float(match["mantissa"].replace(",", ""))
    if match["exponent"]:
        value = float(f"{value!r}e{match['exponent'].translate(_FROM_SUPERSCRIPTS)}")
    return value


def glue(name: str, value, display: bool = True):
    """Record ``value`` under ``name`` for the book's prose, wherever the chapter runs.

    In the book's build this is ``myst_nb.glue``: the prose shows the value with
    ``{glue:text}`name```, and ``tests/claims/`` asserts it. Elsewhere (Colab, Binder, a
    downloaded chapter) myst-nb is usually not installed; then nothing is recorded and the
    value is shown only if ``display`` is true, so a chapter runs the same everywhere
    without the book's build tools.
    """
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        if display:
            from IPython.display import display as show

            show(value)
        return None
    return myst_glue(name, value, display=display)
