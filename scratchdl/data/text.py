"""Tiny Shakespeare, the text of nanoGPT's character-level example, shipped with the package.

The file ``scratchdl/data/files/tinyshakespeare.txt.gz`` is the gzip-compressed
``input.txt`` of A. Karpathy's char-rnn (source, licence and checksum in
``scratchdl/data/files/README.md``). The loader checks the SHA-256 of the decompressed
text before returning it, so a damaged copy fails loudly, and splits it as nanoGPT's
``data/shakespeare_char/prepare.py`` does: the first 90% of the characters for training,
the last 10% for validation.
"""

from __future__ import annotations

import gzip
import zlib

from scratchdl.data._files import check_sha256, read_file

TINY_SHAKESPEARE_FILE = "tinyshakespeare.txt.gz"
TINY_SHAKESPEARE_SHA256 = "86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed"
TRAIN_FRACTION = 0.9


def load_tiny_shakespeare(*, path=None, sha256=TINY_SHAKESPEARE_SHA256):
    """Tiny Shakespeare (1,115,394 characters), split as nanoGPT splits it.

    Parameters
    ----------
    path : str or path-like, optional
        Read this gzip-compressed text instead of the copy bundled with the package
        (the tests use it to feed the loader damaged files).
    sha256 : str or None
        Expected SHA-256 of the *decompressed* text; ``None`` skips the check (only for a
        file you made yourself).

    Returns
    -------
    train : str
        The first ``int(0.9 * n)`` characters (1,003,854 for the bundled text).
    val : str
        The remaining characters (111,540), the validation text of nanoGPT's split.

    Raises
    ------
    ValueError
        If the file is not valid gzip-compressed ASCII, or the text's checksum differs
        from ``sha256``.
    """
    source, raw = read_file(TINY_SHAKESPEARE_FILE, path)
    try:
        data = gzip.decompress(raw)
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"load_tiny_shakespeare: {source} is not a readable gzip file "
                         f"({error}). Reinstall scratchdl to restore the file.") from None
    check_sha256(data, sha256, f"the text in {source}", "load_tiny_shakespeare")
    try:
        text = data.decode("ascii")
    except UnicodeDecodeError as error:
        raise ValueError(f"load_tiny_shakespeare: {source} is not ASCII text "
                         f"({error})") from None
    if not text:
        raise ValueError(f"load_tiny_shakespeare: {source} holds no text")
    n_train = int(len(text) * TRAIN_FRACTION)
    return text[:n_train], text[n_train:]
