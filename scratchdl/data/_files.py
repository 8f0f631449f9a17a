"""Reading the data files shipped in ``scratchdl/data/files``, and checking their checksums.

Every bundled loader reads its file the same way and refuses a corrupt one with the same
message, so both live here once.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from pathlib import Path


def read_file(name: str, path=None) -> tuple[str, bytes]:
    """``(source, bytes)``: the bundled file ``name``, or the file at ``path`` if given.

    ``source`` describes where the bytes came from, for messages. Bundled files are read
    through ``importlib.resources``, so this works wherever the package is installed.
    """
    if path is None:
        raw = resources.files("scratchdl.data").joinpath("files", name).read_bytes()
        return f"bundled {name}", raw
    return str(path), Path(path).read_bytes()


def check_sha256(data: bytes, sha256, source: str, owner: str) -> None:
    """Raise ``ValueError`` unless ``data`` has the SHA-256 ``sha256`` (``None`` skips)."""
    if sha256 is None:
        return
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ValueError(f"{owner}: {source} is corrupt or truncated: its SHA-256 is {actual}, "
                         f"expected {sha256}. Reinstall scratchdl to restore the file.")
