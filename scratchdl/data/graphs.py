"""Graphs shipped inside the package: the Cora citation graph and Zachary's karate club.

Both are returned as PyTorch Geometric stores a graph: node features ``x`` (N, D), an
``edge_index`` of shape (2, E) listing every undirected edge in both directions (row 0
the source, row 1 the target), and labels ``y`` (N,). Sources, licences and checksums
are in ``scratchdl/data/files/README.md``; each loader verifies the file's SHA-256
before reading it.
"""

from __future__ import annotations

import io
import zipfile

import numpy as np

from scratchdl.data._files import check_sha256, read_file

CORA_FILE = "cora.npz"
CORA_SHA256 = "3f93ecc3a8e51bbcb1e9be2f96db9910111243468907fc82b67be5c1196e4e10"
CORA_CLASSES = ("Theory", "Reinforcement_Learning", "Genetic_Algorithms", "Neural_Networks",
                "Probabilistic_Methods", "Case_Based", "Rule_Learning")
KARATE_FILE = "karate_club.txt"
KARATE_SHA256 = "85625c037e837b70d9111dae5a75bb14b75cbfe5618b7673a4fe574b08960fc5"
KARATE_CLUBS = ("Mr.Hi", "Officer")

__all__ = ["load_cora", "load_karate_club", "CORA_CLASSES", "KARATE_CLUBS"]


def _read(name, path, sha256, owner):
    source, raw = read_file(name, path)
    check_sha256(raw, sha256, source, owner)
    return source, raw


def _undirected(edges):
    """(2, 2E) edge_index with both directions of each (i, j) row of ``edges``."""
    edges = np.asarray(edges, dtype=np.int64)
    return np.concatenate([edges.T, edges[:, ::-1].T], axis=1)


def load_cora(*, path=None, sha256=CORA_SHA256):
    """Load Cora with the Planetoid split of the GCN paper (Kipf and Welling, 2017).

    2,708 machine-learning papers, 1,433 binary bag-of-words features, 7 topics,
    5,278 citation links treated as undirected.

    Parameters
    ----------
    path : str or path-like, optional
        Read this ``.npz`` instead of the bundled copy (the tests feed damaged files).
    sha256 : str or None
        Expected SHA-256 of the file; ``None`` skips the check.

    Returns
    -------
    dict with
        ``x`` (2708, 1433) float64 0/1 features; ``edge_index`` (2, 10556) int64, each
        edge in both directions; ``y`` (2708,) int64 topics 0..6 (names in
        ``CORA_CLASSES``); ``train_index`` (140,), ``val_index`` (500,), ``test_index``
        (1000,) int64.
    """
    owner = "load_cora"
    source, raw = _read(CORA_FILE, path, sha256, owner)
    try:
        with np.load(io.BytesIO(raw), allow_pickle=False) as arrays:
            data = {name: arrays[name] for name in arrays.files}
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise ValueError(f"{owner}: {source} is not a readable .npz file ({error})") from error
    needed = ("feature_indptr", "feature_indices", "edges", "labels", "train_index",
              "val_index", "test_index")
    missing = [name for name in needed if name not in data]
    if missing:
        raise ValueError(f"{owner}: {source} lacks the arrays {missing}")
    indptr, indices = data["feature_indptr"].astype(np.int64), data["feature_indices"]
    n_nodes = indptr.size - 1
    y = data["labels"].astype(np.int64)
    if y.shape != (n_nodes,) or indptr[-1] != indices.size or np.any(np.diff(indptr) < 0):
        raise ValueError(f"{owner}: {source} has inconsistent feature and label arrays")
    n_features = 1433
    if indices.size and (indices.min() < 0 or indices.max() >= n_features):
        raise ValueError(f"{owner}: {source} has feature indices outside [0, {n_features})")
    x = np.zeros((n_nodes, n_features))
    rows = np.repeat(np.arange(n_nodes), np.diff(indptr))
    x[rows, indices.astype(np.int64)] = 1.0
    edges = data["edges"]
    if edges.ndim != 2 or edges.shape[1] != 2 or edges.min() < 0 or edges.max() >= n_nodes:
        raise ValueError(f"{owner}: {source} has edges that are not node pairs in "
                         f"[0, {n_nodes})")
    return {
        "x": x,
        "edge_index": _undirected(edges),
        "y": y,
        "train_index": data["train_index"].astype(np.int64),
        "val_index": data["val_index"].astype(np.int64),
        "test_index": data["test_index"].astype(np.int64),
    }


def load_karate_club(*, path=None, sha256=KARATE_SHA256):
    """Zachary's karate club: 34 members, 78 friendships, and the faction each joined.

    Returns
    -------
    dict with
        ``edge_index`` (2, 156) int64, each friendship in both directions; ``y`` (34,)
        int64, 0 for Mr. Hi's faction and 1 for the Officer's (``KARATE_CLUBS``).
    """
    owner = "load_karate_club"
    source, raw = _read(KARATE_FILE, path, sha256, owner)
    edges, clubs = [], {}
    for number, line in enumerate(raw.decode("ascii").splitlines(), start=1):
        fields = line.split()
        if not fields or fields[0].startswith("#"):
            continue
        if fields[0] == "edge" and len(fields) == 3:
            edges.append((int(fields[1]), int(fields[2])))
        elif fields[0] == "club" and len(fields) == 3 and fields[2] in KARATE_CLUBS:
            clubs[int(fields[1])] = KARATE_CLUBS.index(fields[2])
        else:
            raise ValueError(f"{owner}: {source} line {number} is not 'edge i j' or "
                             f"'club i name': {line!r}")
    n_nodes = len(clubs)
    if sorted(clubs) != list(range(n_nodes)) or not edges \
            or max(max(edge) for edge in edges) >= n_nodes:
        raise ValueError(f"{owner}: {source} does not give one club per member 0..{n_nodes - 1}")
    y = np.array([clubs[node] for node in range(n_nodes)], dtype=np.int64)
    return {"edge_index": _undirected(edges), "y": y}
