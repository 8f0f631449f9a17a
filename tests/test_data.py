"""scratchdl.data: generators, the bundled digits, splitting, scaling, batching."""

from __future__ import annotations

import gzip
import hashlib
import shutil
from importlib import resources

import numpy as np
import pytest

from scratchdl.data import (
    StandardScaler,
    iterate_minibatches,
    load_digits,
    make_blobs,
    make_circles,
    make_moons,
    make_spirals,
    make_xor,
    one_hot,
    train_test_split,
)
from scratchdl.data.digits import DIGITS_SHA256

GENERATORS = [make_moons, make_circles, make_spirals, make_blobs, make_xor]


# -- generators ------------------------------------------------------------------------------
@pytest.mark.parametrize("make", GENERATORS)
def test_generator_shapes_dtypes_and_determinism(make):
    X, y = make(90, noise=0.1, rng=3) if make is not make_blobs else make(90, rng=3)
    assert X.shape == (90, 2) and X.dtype == np.float64
    assert y.shape == (90,) and y.dtype == np.int64
    assert np.all(np.isfinite(X))
    X2, y2 = make(90, noise=0.1, rng=3) if make is not make_blobs else make(90, rng=3)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = make(90, noise=0.1, rng=4) if make is not make_blobs else make(90, rng=4)
    assert not np.array_equal(X, X3)


@pytest.mark.parametrize("make", [make_moons, make_circles])
def test_two_class_generators_are_balanced_and_shuffled(make):
    _, y = make(101, rng=0)
    assert np.bincount(y).tolist() == [50, 51]
    assert not np.all(np.diff(y) >= 0), "samples should be shuffled, not sorted by class"
    _, y_sorted = make(101, rng=0, shuffle=False)
    assert np.all(np.diff(y_sorted) >= 0)


def test_moons_geometry_without_noise():
    X, y = make_moons(200, rng=0)
    upper, lower = X[y == 0], X[y == 1]
    np.testing.assert_allclose(np.hypot(*upper.T), 1.0)
    np.testing.assert_allclose(np.hypot(lower[:, 0] - 1, lower[:, 1] - 0.5), 1.0)
    assert upper[:, 1].min() >= 0 and lower[:, 1].max() <= 0.5


def test_circles_geometry_without_noise():
    X, y = make_circles(200, factor=0.3, rng=0)
    radius = np.hypot(*X.T)
    np.testing.assert_allclose(radius[y == 0], 1.0)
    np.testing.assert_allclose(radius[y == 1], 0.3)
    assert len(np.unique(np.round(X, 12), axis=0)) == 200, "no point may appear twice"


def test_spirals_arms_are_rotated_copies():
    X, y = make_spirals(300, n_classes=3, rng=0, shuffle=False)
    assert np.bincount(y).tolist() == [100, 100, 100]
    assert np.hypot(*X.T).max() <= 1 + 1e-12
    rotation = 2 * np.pi / 3
    c, s = np.cos(rotation), np.sin(rotation)
    np.testing.assert_allclose(X[y == 0] @ np.array([[c, s], [-s, c]]), X[y == 1], atol=1e-12)
    _, y = make_spirals(10, n_classes=4, rng=0)
    assert np.bincount(y).tolist() == [3, 3, 2, 2]


def test_blobs_with_given_centres():
    centres = np.array([[0.0, 0.0, 0.0], [10.0, 10.0, 10.0]])
    X, y = make_blobs(400, centers=centres, cluster_std=[0.1, 0.5], rng=0)
    assert X.shape == (400, 3)
    np.testing.assert_allclose(X[y == 0].mean(axis=0), centres[0], atol=0.05)
    np.testing.assert_allclose(X[y == 1].std(axis=0), 0.5, rtol=0.2)
    X, y = make_blobs(30, centers=4, n_features=5, rng=1)
    assert X.shape == (30, 5) and np.bincount(y).tolist() == [8, 8, 7, 7]


def test_xor_labels_follow_the_quadrants():
    X, y = make_xor(500, rng=0)
    np.testing.assert_array_equal(y, (X[:, 0] * X[:, 1] < 0).astype(int))
    assert np.abs(X).max() <= 1


@pytest.mark.parametrize(
    "call, message",
    [
        (lambda: make_moons(1), "n_samples"),
        (lambda: make_moons(10.5), "n_samples"),
        (lambda: make_moons(True), "n_samples"),
        (lambda: make_moons(10, noise=-0.1), "noise"),
        (lambda: make_moons(10, noise=float("nan")), "noise"),
        (lambda: make_circles(10, factor=1.0), "factor"),
        (lambda: make_spirals(10, n_classes=1), "n_classes"),
        (lambda: make_spirals(2, n_classes=3), "n_samples"),
        (lambda: make_spirals(10, turns=0), "turns"),
        (lambda: make_blobs(10, centers=0), "centers"),
        (lambda: make_blobs(10, centers=np.zeros(3)), "centers"),
        (lambda: make_blobs(10, centers=2, cluster_std=[1.0, 2.0, 3.0]), "cluster_std"),
        (lambda: make_blobs(10, cluster_std=-1.0), "cluster_std"),
        (lambda: make_blobs(10, center_box=(1, 0)), "center_box"),
        (lambda: make_xor(0), "n_samples"),
        (lambda: make_moons(10, rng="seed"), "rng"),
    ],
)
def test_generators_reject_bad_arguments(call, message):
    with pytest.raises((TypeError, ValueError), match=message):
        call()


def test_failed_validation_draws_nothing_from_the_generator():
    rng = np.random.default_rng(0)
    before = rng.bit_generator.state
    with pytest.raises(ValueError, match="cluster_std"):
        make_blobs(10, centers=2, cluster_std=[1.0, -1.0], rng=rng)
    assert rng.bit_generator.state == before


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


# -- train_test_split ------------------------------------------------------------------------
def test_split_sizes_alignment_and_determinism():
    X = np.arange(50.0).reshape(25, 2)
    y = np.arange(25)
    X_copy, y_copy = X.copy(), y.copy()
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, rng=0)
    assert len(X_test) == 5 and len(X_train) == 20
    np.testing.assert_array_equal(X_train[:, 0] // 2, y_train)  # rows stay aligned
    np.testing.assert_array_equal(X_test[:, 0] // 2, y_test)
    assert sorted(np.concatenate([y_train, y_test]).tolist()) == list(range(25))
    again = train_test_split(X, y, test_size=0.2, rng=0)
    np.testing.assert_array_equal(again[3], y_test)
    other = train_test_split(X, y, test_size=0.2, rng=1)
    assert not np.array_equal(other[3], y_test)
    np.testing.assert_array_equal(X, X_copy)
    np.testing.assert_array_equal(y, y_copy)
    # A fraction rounds the test part up, as in scikit-learn; an int is a count.
    assert len(train_test_split(y, test_size=0.25, rng=0)[1]) == 7
    assert len(train_test_split(y, test_size=3, rng=0)[1]) == 3


def test_stratified_split_keeps_class_proportions(digits):
    X, y = digits
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, rng=0, stratify=y)
    assert len(y_test) == int(np.ceil(0.3 * len(y)))
    expected = np.bincount(y) * len(y_test) / len(y)
    assert np.all(np.abs(np.bincount(y_test, minlength=10) - expected) < 1)
    np.testing.assert_array_equal(np.bincount(y_train) + np.bincount(y_test), np.bincount(y))
    assert not np.all(np.diff(y_test) >= 0), "the test part should be shuffled"


def test_stratified_split_on_imbalanced_labels():
    y = np.array([0] * 90 + [1] * 10)
    _, y_test = train_test_split(y, test_size=0.2, rng=0, stratify=y)
    assert np.bincount(y_test).tolist() == [18, 2]
    labels = np.array(["a", "b"] * 10)  # any labels np.unique can sort
    _, test = train_test_split(labels, test_size=0.5, rng=0, stratify=labels)
    assert sorted(test.tolist()) == ["a"] * 5 + ["b"] * 5


@pytest.mark.parametrize(
    "call, error, message",
    [
        (lambda X, y: train_test_split(), TypeError, "at least one array"),
        (lambda X, y: train_test_split(X, y[:-1]), ValueError, "same length"),
        (lambda X, y: train_test_split([1, 2, 3]), TypeError, r"arrays\[0\]"),
        (lambda X, y: train_test_split(X, test_size=0.0), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, test_size=1.0), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, test_size=10), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, test_size=0.95), ValueError, "test_size"),
        (lambda X, y: train_test_split(X, stratify=y[:-1]), ValueError, "stratify"),
        (lambda X, y: train_test_split(X, stratify=np.array([0] * 9 + [1])), ValueError,
         "only one row"),
        (lambda X, y: train_test_split(X, rng=1.5), TypeError, "rng"),
    ],
)
def test_split_rejects_bad_arguments(call, error, message):
    X, y = np.zeros((10, 2)), np.arange(10) % 2
    with pytest.raises(error, match=message):
        call(X, y)


# -- StandardScaler and one_hot ----------------------------------------------------------------
def test_standard_scaler_standardizes_and_inverts():
    rng = np.random.default_rng(0)
    X = rng.normal(5.0, 3.0, size=(200, 3))
    X[:, 2] = 7.0  # a constant feature
    original = X.copy()
    scaler = StandardScaler()
    Z = scaler.fit_transform(X)
    np.testing.assert_allclose(Z[:, :2].mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(Z[:, :2].std(axis=0), 1, atol=1e-12)
    np.testing.assert_array_equal(Z[:, 2], 0)
    assert scaler.scale_[2] == 1 and scaler.n_features_in_ == 3
    np.testing.assert_allclose(scaler.inverse_transform(Z), X)
    np.testing.assert_array_equal(X, original)
    Z32 = scaler.transform(X.astype(np.float32))
    assert Z32.dtype == np.float32


def test_standard_scaler_errors():
    scaler = StandardScaler()
    with pytest.raises(RuntimeError, match="not fitted"):
        scaler.transform(np.zeros((2, 2)))
    with pytest.raises(TypeError, match="X"):
        scaler.fit(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="X"):
        scaler.fit(np.array([[1.0, np.nan]]))
    with pytest.raises(ValueError, match="dimensions"):
        scaler.fit(np.zeros(3))
    scaler.fit(np.ones((3, 2)))
    mean = scaler.mean_.copy()
    with pytest.raises(ValueError, match="fitted on 2"):
        scaler.transform(np.zeros((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        scaler.fit(np.array([[np.inf, 1.0]]))
    np.testing.assert_array_equal(scaler.mean_, mean)  # a failed fit changes nothing


def test_one_hot():
    y = np.array([2, 0, 1, 2])
    expected = np.array([[0, 0, 1], [1, 0, 0], [0, 1, 0], [0, 0, 1]], dtype=float)
    np.testing.assert_array_equal(one_hot(y), expected)
    assert one_hot(y, 5).shape == (4, 5)
    assert one_hot(y, dtype=np.float32).dtype == np.float32
    assert one_hot(np.zeros(0, dtype=int), 3).shape == (0, 3)
    with pytest.raises(ValueError, match=r"y must lie in \[0, 2\)"):
        one_hot(y, 2)
    with pytest.raises(ValueError, match="y must lie"):
        one_hot(np.array([-1, 0]))
    with pytest.raises(TypeError, match="integer class labels"):
        one_hot(np.array([0.0, 1.0]))
    with pytest.raises(ValueError, match="1-D"):
        one_hot(np.zeros((2, 2), dtype=int))
    with pytest.raises(ValueError, match="n_classes"):
        one_hot(y, 0)


# -- iterate_minibatches ---------------------------------------------------------------------
def test_minibatches_cover_every_row_once():
    X = np.arange(23.0)[:, None]
    y = np.arange(23)
    batches = list(iterate_minibatches(X, y, 5, rng=0))
    assert [len(b) for b, _ in batches] == [5, 5, 5, 5, 3]
    for X_batch, y_batch in batches:
        np.testing.assert_array_equal(X_batch[:, 0], y_batch)
    seen = np.concatenate([y_batch for _, y_batch in batches])
    assert sorted(seen.tolist()) == list(range(23)) and not np.all(np.diff(seen) > 0)


def test_minibatches_order_options():
    X, y = np.arange(10.0), np.arange(10)
    ordered = np.concatenate([b for _, b in iterate_minibatches(X, y, 4, shuffle=False)])
    np.testing.assert_array_equal(ordered, y)
    assert [len(b) for b, _ in iterate_minibatches(X, y, 4, shuffle=False, drop_last=True)] == [
        4, 4]
    assert all(b is None for _, b in iterate_minibatches(X, None, 3, rng=0))
    rng = np.random.default_rng(0)
    first = np.concatenate([b for _, b in iterate_minibatches(X, y, 4, rng=rng)])
    second = np.concatenate([b for _, b in iterate_minibatches(X, y, 4, rng=rng)])
    assert not np.array_equal(first, second), "a shared Generator reshuffles every epoch"
    replay = np.concatenate([b for _, b in iterate_minibatches(X, y, 4, rng=0)])
    np.testing.assert_array_equal(first, replay)


def test_minibatches_validate_when_called_not_when_iterated():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="X has 4 rows but y has 3"):
        iterate_minibatches(X, np.zeros(3), 2)
    with pytest.raises(ValueError, match="batch_size"):
        iterate_minibatches(X, None, 0)
    with pytest.raises(TypeError, match="batch_size"):
        iterate_minibatches(X, None, 2.0)
    with pytest.raises(TypeError, match="X must be a numpy array"):
        iterate_minibatches([1, 2], None, 1)
    with pytest.raises(TypeError, match="rng"):
        iterate_minibatches(X, None, 2, rng="0")


def test_shutil_copy_keeps_the_checksum(tmp_path):
    """A copy made with ordinary tools loads (guards against text-mode rewrites)."""
    source = resources.files("scratchdl.data").joinpath("files", "digits.csv.gz")
    with resources.as_file(source) as path:
        copy = shutil.copy(path, tmp_path / "copy.csv.gz")
    assert load_digits(path=copy)[0].shape == (1797, 64)
