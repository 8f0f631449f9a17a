"""The bundled graphs: Cora (checksum, shapes, split, symmetry) and the karate club
(against networkx's copy); damaged files are refused with a clear error."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from scratchdl.data.graphs import (
    CORA_SHA256,
    KARATE_SHA256,
    load_cora,
    load_karate_club,
)
from tests.oracles import require


def test_cora_shapes_split_and_published_statistics():
    data = load_cora()
    x, edge_index, y = data["x"], data["edge_index"], data["y"]
    assert x.shape == (2708, 1433) and set(np.unique(x)) == {0.0, 1.0}
    assert int(x.sum()) == 49216
    assert edge_index.shape == (2, 10556) and edge_index.dtype == np.int64
    assert np.array_equal(np.bincount(y), [351, 217, 418, 818, 426, 298, 180])
    assert np.array_equal(data["train_index"], np.arange(140))
    assert np.array_equal(data["val_index"], np.arange(140, 640))
    assert data["test_index"].shape == (1000,)
    assert np.array_equal(np.bincount(y[data["train_index"]]), [20] * 7)
    splits = np.concatenate([data["train_index"], data["val_index"], data["test_index"]])
    assert np.unique(splits).size == 1640  # disjoint
    # Undirected: every edge appears in both directions; no self-loops, no duplicates.
    pairs = set(map(tuple, edge_index.T))
    assert len(pairs) == 10556 and all((j, i) in pairs for i, j in pairs)
    assert not np.any(edge_index[0] == edge_index[1])
    assert np.bincount(edge_index[1], minlength=2708).min() >= 1  # no isolated node


def test_cora_checksum_and_damaged_files(tmp_path):
    from importlib import resources
    raw = resources.files("scratchdl.data").joinpath("files", "cora.npz").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == CORA_SHA256
    bad = tmp_path / "cora.npz"
    bad.write_bytes(raw[:-100])
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_cora(path=bad)
    with pytest.raises(ValueError, match="not a readable .npz"):
        load_cora(path=bad, sha256=None)


def test_karate_club_against_networkx():
    nx = require("networkx")
    data = load_karate_club()
    G = nx.karate_club_graph()
    ours = {tuple(sorted(e)) for e in data["edge_index"].T.tolist()}
    theirs = {tuple(sorted(e)) for e in G.edges()}
    assert ours == theirs and len(ours) == 78
    assert data["edge_index"].shape == (2, 156)
    clubs = [0 if G.nodes[n]["club"] == "Mr. Hi" else 1 for n in range(34)]
    assert np.array_equal(data["y"], clubs)
    assert np.bincount(data["y"]).tolist() == [17, 17]


def test_karate_damaged_files(tmp_path):
    from importlib import resources
    raw = resources.files("scratchdl.data").joinpath("files", "karate_club.txt").read_bytes()
    assert hashlib.sha256(raw).hexdigest() == KARATE_SHA256
    bad = tmp_path / "karate.txt"
    bad.write_bytes(raw.replace(b"edge 0 1\n", b"edge 0\n"))
    with pytest.raises(ValueError, match="corrupt or truncated"):
        load_karate_club(path=bad)
    with pytest.raises(ValueError, match="line .* is not 'edge i j'"):
        load_karate_club(path=bad, sha256=None)
