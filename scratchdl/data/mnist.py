"""Full MNIST (70,000 28x28 digits) as an opt-in download, and a reader for its IDX files.

Nothing here touches the network unless asked: :func:`load_mnist` reads the four files
from a cache directory and downloads missing ones only with ``download=True``. Each file
is checked against the MD5 checksum published with the data set (the values torchvision
and others verify too) before it is used; a download goes to a temporary file in the same
directory, is verified, and only then renamed into place (an atomic operation), so an
interrupted or corrupt download never leaves a file that looks valid.

The format (LeCun, Cortes and Burges, "The MNIST database of handwritten digits"): a
big-endian header of two zero bytes, a type code (``0x08`` = unsigned byte), the number
of dimensions, then one 4-byte size per dimension, then the values.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

import numpy as np

MNIST_URL = "https://ossci-datasets.s3.amazonaws.com/mnist/"
MNIST_FILES = {  # name -> MD5 of the gzip-compressed file
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4",
              0x0E: ">f8"}


def default_cache_dir() -> Path:
    """``$SCRATCHDL_DATA/mnist`` if that variable is set, else ``~/.cache/scratchdl/mnist``."""
    root = os.environ.get("SCRATCHDL_DATA")
    return (Path(root) if root else Path.home() / ".cache" / "scratchdl") / "mnist"


def parse_idx(data: bytes, source: str = "IDX data") -> np.ndarray:
    """Parse the bytes of an (uncompressed) IDX file into an array of its shape.

    Raises
    ------
    ValueError
        If the header is malformed or the size disagrees with it; the message names
        ``source``.
    """
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{source}: not an IDX file (bad magic number {data[:4]!r})")
    dtype, ndim = np.dtype(_IDX_TYPES[data[2]]), data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise ValueError(f"{source}: IDX header truncated")
    shape = tuple(int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim))
    expected = header + int(np.prod(shape)) * dtype.itemsize
    if len(data) != expected:
        raise ValueError(f"{source}: IDX header says shape {shape} ({expected} bytes) but the "
                         f"file has {len(data)} bytes")
    return np.frombuffer(data, dtype=dtype, offset=header).reshape(shape).astype(
        dtype.newbyteorder("="))


def read_idx(path) -> np.ndarray:
    """Read an IDX file, gzip-compressed (``.gz``) or not."""
    path = Path(path)
    raw = path.read_bytes()
    if path.suffix == ".gz":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as error:
            raise ValueError(f"{path}: not a valid gzip file ({error})") from None
    return parse_idx(raw, str(path))


def _md5(data: bytes) -> str:
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def _download(url: str, target: Path, md5: str) -> None:
    """Fetch ``url``, verify its MD5, then atomically rename it to ``target``."""
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            data = response.read()
    except (urllib.error.URLError, OSError) as error:
        raise ConnectionError(
            f"could not download {url} ({error}); are you offline? Put the MNIST files in "
            f"{target.parent} by hand, or retry with a connection"
        ) from None
    if _md5(data) != md5:
        raise ValueError(f"download of {url} is corrupt: MD5 {_md5(data)}, expected {md5}; "
                         "nothing was written")
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(dir=target.parent, prefix=target.name, suffix=".part",
                                     delete=False) as handle:
        handle.write(data)
    os.replace(handle.name, target)  # atomic: readers see no file or the whole file


def load_mnist(*, cache_dir=None, download=False, url=MNIST_URL, checksums=None):
    """Load MNIST: 60,000 training and 10,000 test images of 28x28 pixels.

    Parameters
    ----------
    cache_dir : str or path-like, optional
        Where the four ``.gz`` files are kept; default :func:`default_cache_dir`.
    download : bool
        Fetch missing files from ``url``. Off by default: the book never needs the network.
    url : str
        Base URL of the files (any scheme ``urllib`` opens, e.g. ``file://`` in tests).
    checksums : dict of str to str, optional
        File name to MD5; default the published ``MNIST_FILES``.

    Returns
    -------
    X_train : (60000, 28, 28) uint8 array
    X_test : (10000, 28, 28) uint8 array
        Pixel values 0 (background) to 255.
    y_train, y_test : int64 arrays
        The digits.

    Raises
    ------
    FileNotFoundError
        A file is missing and ``download`` is False.
    ConnectionError
        A download failed (offline).
    ValueError
        A file's checksum or contents are wrong.
    """
    cache = Path(cache_dir) if cache_dir is not None else default_cache_dir()
    checksums = MNIST_FILES if checksums is None else checksums
    arrays = []
    for name, md5 in checksums.items():
        path = cache / name
        if not path.exists():
            if not download:
                raise FileNotFoundError(f"MNIST file {path} is missing; call "
                                        "load_mnist(download=True) to fetch it")
            _download(url.rstrip("/") + "/" + name, path, md5)
        got = _md5(path.read_bytes())
        if got != md5:
            raise ValueError(f"{path} is corrupt: MD5 {got}, expected {md5}; delete it and "
                             "download again")
        arrays.append(read_idx(path))
    train_images, train_labels, test_images, test_labels = arrays
    for images, labels, which in ((train_images, train_labels, "train"),
                                  (test_images, test_labels, "test")):
        if images.ndim != 3 or labels.ndim != 1 or len(images) != len(labels):
            raise ValueError(f"MNIST {which}: images {images.shape} and labels "
                             f"{labels.shape} do not match")
    return (train_images, test_images, train_labels.astype(np.int64),
            test_labels.astype(np.int64))
