"""The Module surface: PyTorch's names, read-only mappings, attributes, unique parameters,
and error messages that name the class that was constructed."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import nn
from scratchdl.nn.module import unique_parameters


def net():
    return nn.Sequential(nn.Linear(3, 4, rng=0), nn.ReLU(), nn.Linear(4, 2, rng=1))


def test_named_parameters_yields_pairs_as_in_pytorch():
    model = net()
    pairs = list(model.named_parameters())
    assert [name for name, _ in pairs] == ["0.weight", "0.bias", "2.weight", "2.bias"]
    for name, p in model.named_parameters():
        assert p is model.params[name]
    assert [p.shape for p in model.parameters()] == [(4, 3), (4,), (2, 4), (2,)]
    assert model.num_parameters() == 4 * 3 + 4 + 2 * 4 + 2


def test_tied_parameters_are_yielded_once():
    a, b = nn.Linear(3, 3, rng=0), nn.Linear(3, 3, rng=1)
    b.tie_parameter("weight", a, "weight")
    model = nn.Sequential(a, b)
    assert [name for name, _ in model.named_parameters()] == ["0.weight", "0.bias", "1.bias"]
    triples = unique_parameters([a, b], "test")
    assert [name for name, _, _ in triples] == ["0.weight", "0.bias", "1.bias"]
    assert triples[0][2] is a.grads["weight"] is b.grads["weight"]


@pytest.mark.parametrize("bad", [3, [nn.Linear(2, 2), "x"]])
def test_unique_parameters_rejects_what_is_not_a_module(bad):
    with pytest.raises(TypeError, match="owner: module must be a Module or an iterable"):
        unique_parameters(bad, "owner")


@pytest.mark.parametrize("mapping", ["params", "grads", "buffers"])
def test_assigning_through_the_mappings_raises_on_leaf_and_container_alike(mapping):
    bn = nn.BatchNorm1d(4)
    model = nn.Sequential(nn.Linear(3, 4, rng=0), bn)
    leaf_key = "running_mean" if mapping == "buffers" else "weight"
    for module, key in ((bn, leaf_key), (model, f"1.{leaf_key}")):
        view = getattr(module, mapping)
        before = view[key].copy()
        with pytest.raises(TypeError, match=f"{mapping} is read-only"):
            view[key] = np.zeros(4)
        with pytest.raises(TypeError, match="read-only"):
            del view[key]
        np.testing.assert_array_equal(getattr(module, mapping)[key], before)


def test_in_place_updates_through_the_mappings_work():
    layer = nn.Linear(2, 2, rng=0)
    layer.grads["weight"] += 1.0
    np.testing.assert_array_equal(layer.grads["weight"], np.ones((2, 2)))
    model = nn.Sequential(layer)
    model.params["0.bias"][...] = 5.0
    np.testing.assert_array_equal(layer.bias, [5.0, 5.0])


def test_parameters_and_buffers_are_attributes():
    layer = nn.Linear(3, 2, rng=0)
    assert layer.weight is layer.params["weight"] and layer.bias is layer.params["bias"]
    assert nn.Linear(3, 2, bias=False, rng=0).bias is None
    bn = nn.BatchNorm1d(3, affine=False, track_running_stats=False)
    assert bn.weight is None and bn.running_mean is None
    bn = nn.BatchNorm1d(3)
    assert bn.running_var is bn.buffers["running_var"]
    layer.to(np.float32)  # replaces the arrays: the attribute follows the mapping
    assert layer.weight.dtype == np.float32 and layer.weight is layer.params["weight"]
    with pytest.raises(AttributeError, match="'Linear' object has no attribute 'nope'"):
        layer.nope  # noqa: B018


def test_rebinding_a_parameter_attribute_raises_and_changes_nothing():
    layer = nn.Linear(3, 2, rng=0)
    weight = layer.weight
    with pytest.raises(TypeError, match="Linear.weight is a registered parameter"):
        layer.weight = np.zeros((2, 3))
    assert layer.weight is weight
    layer.weight += 1.0  # in place: allowed
    assert layer.weight is weight


def test_import_scratchdl_makes_models_available():
    import scratchdl

    assert scratchdl.models.SOM is not None


# Every layer constructed with a bad argument names its own class in the message.
BAD_CONSTRUCTIONS = [
    (nn.Linear, (0, 2), {}),
    (nn.Linear, (2, 2), {"dtype": np.int64}),
    (nn.Embedding, (0, 2), {}),
    (nn.BatchNorm1d, (0,), {}),
    (nn.BatchNorm2d, (0,), {}),
    (nn.BatchNorm2d, (3,), {"eps": -1.0}),
    (nn.Dropout, (1.5,), {}),
    (nn.LeakyReLU, ("a",), {}),
    (nn.Conv1d, (1, 1, 0), {}),
    (nn.Conv2d, (0, 1, 3), {}),
    (nn.MaxPool2d, (0,), {}),
    (nn.AvgPool1d, (0,), {}),
    (nn.RNN, (0, 2), {}),
    (nn.LSTM, (2, 0), {}),
    (nn.GRU, (2, 2), {"num_layers": 0}),
]


@pytest.mark.parametrize("cls,args,kwargs", BAD_CONSTRUCTIONS,
                         ids=[f"{c.__name__}-{i}" for i, (c, _, _) in
                              enumerate(BAD_CONSTRUCTIONS)])
def test_constructor_errors_name_the_class_constructed(cls, args, kwargs):
    with pytest.raises((TypeError, ValueError)) as info:
        cls(*args, **kwargs)
    assert str(info.value).startswith(cls.__name__), str(info.value)


def test_backward_errors_name_the_class_constructed():
    bn = nn.BatchNorm2d(2)
    with pytest.raises(RuntimeError, match=r"^BatchNorm2d\(.*backward\(\) called before"):
        bn.backward(np.zeros((2, 2, 3, 3)))
    bn.forward(np.ones((2, 2, 3, 3)))
    with pytest.raises(ValueError, match=r"^BatchNorm2d\(.*dout must have the output's shape"):
        bn.backward(np.zeros((2, 2, 3, 4)))
    flat = nn.Flatten()
    flat.forward(np.ones((2, 3, 4)))
    with pytest.raises(TypeError, match=r"^Flatten\(.*dout has dtype float32"):
        flat.backward(np.zeros((2, 12), np.float32))
