"""The 8x8 handwritten digits shipped inside the package (1,797 images, 10 classes).

The file ``scratchdl/data/files/digits.csv.gz`` is the test-set part of the UCI
"Optical Recognition of Handwritten Digits" data set as redistributed by scikit-learn
(source, licence and format in ``scratchdl/data/files/README.md``). Each line holds the
64 pixel values of one image, row by row, each an integer from 0 (white) to 16 (black),
then the digit. The loader checks the file's SHA-256 before parsing it, so a damaged
copy fails loudly instead of training on garbage.
"""

from __future__ import annotations

import gzip
import io
import zlib

import numpy as np

from scratchdl.data._files import check_sha256, read_file

DIGITS_FILE = "digits.csv.gz"
DIGITS_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"
N_PIXELS = 64
MAX_PIXEL = 16
N_CLASSES = 10


def load_digits(*, path=None, sha256=DIGITS_SHA256):
    """Load the 8x8 digits: 1,797 grey-scale images of the digits 0 to 9.

    Parameters
    ----------
    path : str or path-like, optional
        Read this gzip-compressed CSV file instead of the copy bundled with the package
        (the tests use it to feed the loader damaged files).
    sha256 : str or None
        Expected SHA-256 of the compressed file; ``None`` skips the check (only for a
        file you made yourself).

    Returns
    -------
    X : (1797, 64) float64 array
        Pixel values from 0 to 16; ``X.reshape(-1, 8, 8)`` gives the images.
    y : (1797,) int64 array
        The digit shown, 0 to 9.

    Raises
    ------
    ValueError
        If the file's checksum differs from ``sha256``, or the file is not valid
        gzip, or a line does not hold 64 pixels in ``[0, 16]`` and a digit.
    """
    source, raw = read_file(DIGITS_FILE, path)
    check_sha256(raw, sha256, source, "load_digits")
    try:
        text = gzip.decompress(raw).decode("ascii")
    except (OSError, EOFError, zlib.error, UnicodeDecodeError) as error:
        raise ValueError(f"load_digits: {source} is not a readable gzip-compressed "
                         f"ASCII CSV file ({error})") from error
    return _parse(text, source)


def _parse(text: str, source: str):
    """Turn the CSV text into ``(X, y)``, checking every value."""
    if not text.strip():
        raise ValueError(f"load_digits: {source} holds no data")
    try:
        table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64, ndmin=2)
    except ValueError as error:
        raise ValueError(f"load_digits: {source} is not a table of integers: {error}") from None
    if table.shape[1] != N_PIXELS + 1:
        raise ValueError(f"load_digits: {source} must have {N_PIXELS + 1} columns "
                         f"(64 pixels and the digit), got {table.shape[1]}")
    pixels, digits = table[:, :N_PIXELS], table[:, N_PIXELS]
    if pixels.min() < 0 or pixels.max() > MAX_PIXEL:
        raise ValueError(f"load_digits: {source} has pixel values from {pixels.min()} to "
                         f"{pixels.max()}, expected 0 to {MAX_PIXEL}")
    if digits.min() < 0 or digits.max() >= N_CLASSES:
        raise ValueError(f"load_digits: {source} has labels from {digits.min()} to "
                         f"{digits.max()}, expected 0 to {N_CLASSES - 1}")
    return pixels.astype(np.float64), digits
