"""Tiny Shakespeare loader: checksum, nanoGPT's split, damaged files refused."""

import gzip
import hashlib

import pytest

from scratchdl.data import load_tiny_shakespeare
from scratchdl.data.text import TINY_SHAKESPEARE_SHA256


@pytest.fixture(scope="module")
def split():
    return load_tiny_shakespeare()


def test_split_is_nanogpts_first_90_percent_then_last_10(split):
    train, val = split
    n = len(train) + len(val)
    assert n == 1_115_394
    assert len(train) == int(0.9 * n) == 1_003_854
    assert len(val) == 111_540
    assert train.startswith("First Citizen:\nBefore we proceed any further, hear me speak.")
    assert hashlib.sha256((train + val).encode("ascii")).hexdigest() == TINY_SHAKESPEARE_SHA256


def test_text_has_sixty_five_characters(split):
    assert len(set(split[0] + split[1])) == 65


def test_a_file_from_a_path_equals_the_bundled_copy(tmp_path, split):
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress((split[0] + split[1]).encode("ascii")))
    assert load_tiny_shakespeare(path=path) == split


def test_a_changed_character_is_caught_by_the_checksum(tmp_path, split):
    text = split[0] + split[1]
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress(("f" + text[1:]).encode("ascii")))
    with pytest.raises(ValueError, match="SHA-256 is .* expected 86c4e6aa"):
        load_tiny_shakespeare(path=path)


def test_a_truncated_gzip_file_is_refused(tmp_path):
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress(b"First Citizen:\n" * 100)[:40])
    with pytest.raises(ValueError, match="not a readable gzip file"):
        load_tiny_shakespeare(path=path, sha256=None)


def test_non_ascii_and_empty_files_are_refused(tmp_path):
    path = tmp_path / "t.txt.gz"
    path.write_bytes(gzip.compress("caf\u00e9".encode("utf-8")))
    with pytest.raises(ValueError, match="not ASCII"):
        load_tiny_shakespeare(path=path, sha256=None)
    path.write_bytes(gzip.compress(b""))
    with pytest.raises(ValueError, match="holds no text"):
        load_tiny_shakespeare(path=path, sha256=None)


def test_a_small_file_of_my_own_splits_90_10(tmp_path):
    path = tmp_path / "t.txt.gz"
    text = "abcdefghij" * 3
    path.write_bytes(gzip.compress(text.encode("ascii")))
    sha = hashlib.sha256(text.encode("ascii")).hexdigest()
    train, val = load_tiny_shakespeare(path=path, sha256=sha)
    assert (train, val) == (text[:27], text[27:])
