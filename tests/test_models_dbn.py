"""DBN: greedy training, the network it becomes, sampling, bad input."""

import numpy as np
import pytest

from scratchdl import losses, nn, optim
from scratchdl.models import DBN, BernoulliRBM
from scratchdl.models.base import NotFittedError
from scratchdl.train import fit


def binary_data(n=120, d=12, seed=0):
    rng = np.random.default_rng(seed)
    prototypes = (rng.random((3, d)) < 0.5).astype(float)
    X = prototypes[rng.integers(0, 3, n)]
    flip = rng.random(X.shape) < 0.05
    return np.where(flip, 1 - X, X)


def test_layers_are_trained_greedily_on_the_layer_below():
    X = binary_data()
    dbn = DBN((8, 5), n_iter=3, random_state=0).fit(X)
    assert [rbm.components_.shape for rbm in dbn.rbms_] == [(8, 12), (5, 8)]
    # The second RBM is what a BernoulliRBM makes of the first one's hidden probabilities,
    # trained with the same stream of random numbers.
    rng = np.random.default_rng(0)
    first = BernoulliRBM(8, n_iter=3, random_state=rng).fit(X)
    second = BernoulliRBM(5, n_iter=3, random_state=rng).fit(first.transform(X))
    np.testing.assert_array_equal(dbn.rbms_[0].components_, first.components_)
    np.testing.assert_array_equal(dbn.rbms_[1].components_, second.components_)
    np.testing.assert_allclose(dbn.transform(X), second.transform(first.transform(X)))


def test_network_forward_equals_transform_and_fine_tunes():
    X = binary_data()
    y = (X[:, 0] > 0.5).astype(np.int64)
    dbn = DBN((8, 5), n_iter=3, random_state=0).fit(X)
    body = dbn.to_network()
    assert [type(m).__name__ for m in body] == ["Linear", "Sigmoid", "Linear", "Sigmoid"]
    np.testing.assert_allclose(body.forward(X), dbn.transform(X), atol=1e-12)
    net = dbn.to_network(n_outputs=2, rng=0)
    assert net[-1].weight.shape == (2, 5)
    history = fit(net, losses.CrossEntropyLoss(), optim.Adam(net, lr=0.01), X, y, epochs=30,
                  batch_size=16, rng=0)
    assert history["accuracy"][-1] > 0.9
    # The DBN's own RBMs are untouched by fine-tuning (the network holds copies).
    np.testing.assert_allclose(dbn.to_network().forward(X), dbn.transform(X))


def test_samples_are_probabilities_of_the_right_shape_and_reproducible():
    X = binary_data()
    for sizes in ((6,), (8, 5)):
        dbn = DBN(sizes, n_iter=5, random_state=0).fit(X)
        samples = dbn.sample(7, n_gibbs=20, random_state=1)
        assert samples.shape == (7, 12)
        assert samples.min() >= 0 and samples.max() <= 1
        np.testing.assert_array_equal(samples, dbn.sample(7, n_gibbs=20, random_state=1))


@pytest.mark.parametrize("params, match", [
    ({"hidden_layer_sizes": ()}, "hidden_layer_sizes must be a non-empty"),
    ({"hidden_layer_sizes": (4, 0)}, "hidden_layer_sizes must be a non-empty"),
    ({"hidden_layer_sizes": 4}, "hidden_layer_sizes must be"),
    ({"learning_rate": -1.0}, "learning_rate"), ({"k": 0}, "k must"),
])
def test_bad_hyperparameters_raise_and_change_nothing(params, match):
    X = binary_data()
    dbn = DBN((4,), n_iter=1, random_state=0).fit(X)
    before = dbn.rbms_[0].components_.copy()
    dbn.set_params(**params)
    with pytest.raises((ValueError, TypeError), match=f"DBN: {match}"):
        dbn.fit(X)
    np.testing.assert_array_equal(dbn.rbms_[0].components_, before)


def test_bad_data_and_use_before_fit():
    X = binary_data()
    with pytest.raises(NotFittedError, match="DBN is not fitted"):
        DBN().transform(X)
    with pytest.raises(NotFittedError):
        DBN().sample(3)
    with pytest.raises(ValueError, match=r"values in \[0, 1\]"):
        DBN((4,)).fit(X * 3)
    dbn = DBN((4,), n_iter=1, random_state=0).fit(X)
    with pytest.raises(ValueError, match=r"shape \(N, 12\)"):
        dbn.transform(X[:, :5])
    with pytest.raises(ValueError, match="n_samples"):
        dbn.sample(0)
    with pytest.raises(ValueError, match="n_outputs"):
        dbn.to_network(n_outputs=0)
    assert isinstance(dbn.to_network(), nn.Sequential)
