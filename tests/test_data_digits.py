"""scratchdl.data.digits: the bundled 8x8 digits, their checksum and the loader's errors."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from importlib import resources

import numpy as np
import pytest

from scratchdl.data import (
    load_digits,
)
from scratchdl.data.digits import DIGITS_SHA256


# -- the bundled digits ----------------------------------------------------------------------
@pytest.fixture(scope="module")
def digits():
    return load_digits()


def bundled_bytes() -> bytes:
    return resources.files("scratchdl.data").joinpath("files", "digits.csv.gz").read_bytes()


def test_digits_shape_values_and_classes(digits):
    X, y = digits
    assert X.shape == (1797, 64) and X.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0 and X.max() == 16 and np.all(X == np.round(X))
    assert np.bincount(y).tolist() == [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]
    # The first image is a zero: a ring of ink around an empty centre.
    image = X[0].reshape(8, 8)
    assert y[0] == 0 and image[3:5, 3:5].sum() < image[1:7, 1:7].sum() / 4


def test_digits_checksum_matches_the_recorded_one():
    assert hashlib.sha256(bundled_bytes()).hexdigest() == DIGITS_SHA256
    readme = resources.files("scratchdl.data").joinpath("files", "README.md").read_text()
    assert DIGITS_SHA256 in readme and "CC BY 4.0" in readme and "10.24432/C50P49" in readme


def test_digits_from_a_path_equals_the_bundled_copy(tmp_path, digits):
    copy = tmp_path / "digits.csv.gz"
    copy.write_bytes(bundled_bytes())
    X, y = load_digits(path=copy)
    np.testing.assert_array_equal(X, digits[0])
    np.testing.assert_array_equal(y, digits[1])


def test_digits_loader_rejects_a_corrupted_file(tmp_path):
    damaged = bytearray(bundled_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(bytes(damaged))
    with pytest.raises(ValueError, match="corrupt or truncated.*SHA-256"):
        load_digits(path=path)


def test_digits_loader_rejects_a_truncated_file(tmp_path):
    path = tmp_path / "digits.csv.gz"
    path.write_bytes(bundled_bytes()[:20_000])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_digits(path=path)
    # Even without the checksum the damage is reported, not parsed into garbage.
    with pytest.raises(ValueError, match="not a readable gzip"):
        load_digits(path=path, sha256=None)


def write_rows(path, rows):
    text = "\n".join(",".join(str(v) for v in row) for row in rows) + "\n"
    path.write_bytes(gzip.compress(text.encode("ascii"), mtime=0))
    return path


GOOD_ROW = [0] * 32 + [16] * 32 + [7]


@pytest.mark.parametrize(
    "rows, message",
    [
        ([GOOD_ROW[:-1] + [10]], "labels from"),
        ([[17] + GOOD_ROW[1:]], "pixel values"),
        ([[-1] + GOOD_ROW[1:]], "pixel values"),
        ([GOOD_ROW[1:]], "65 columns"),
        ([GOOD_ROW, GOOD_ROW[1:]], "not a table of integers"),
        ([["1.5"] + GOOD_ROW[1:]], "not a table of integers"),
        ([["x"] + GOOD_ROW[1:]], "not a table of integers"),
        ([], "no data"),
    ],
)
def test_digits_loader_rejects_bad_values(tmp_path, rows, message):
    path = write_rows(tmp_path / "bad.csv.gz", rows)
    with pytest.raises(ValueError, match=message):
        load_digits(path=path, sha256=None)


def test_digits_loader_reads_a_small_valid_file(tmp_path):
    path = write_rows(tmp_path / "small.csv.gz", [GOOD_ROW, GOOD_ROW])
    sha = hashlib.sha256(path.read_bytes()).hexdigest()
    X, y = load_digits(path=path, sha256=sha)
    assert X.shape == (2, 64) and y.tolist() == [7, 7]


def test_digits_loader_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load_digits(path=tmp_path / "absent.csv.gz")


def test_shutil_copy_keeps_the_checksum(tmp_path):
    """A copy made with ordinary tools loads (guards against text-mode rewrites)."""
    source = resources.files("scratchdl.data").joinpath("files", "digits.csv.gz")
    with resources.as_file(source) as path:
        copy = shutil.copy(path, tmp_path / "copy.csv.gz")
    assert load_digits(path=copy)[0].shape == (1797, 64)
