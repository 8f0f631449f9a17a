"""The GAN pieces: losses and their gradients, the generator's gradient through the
discriminator, the remedies' backward passes, the optimal discriminator, mode metrics."""

from __future__ import annotations

import numpy as np
import pytest

from scratchdl import nn, optim
from scratchdl.data import make_grid_of_gaussians, make_ring_of_gaussians
from scratchdl.gradcheck import gradcheck, numerical_gradient, relative_error
from scratchdl.models.gan import (
    GAN,
    MinibatchStdDev,
    Pack,
    discriminator_loss,
    generator_loss,
    mode_statistics,
)


def softplus(x):
    return np.log1p(np.exp(x))


def test_discriminator_loss_is_minus_the_value_function_and_its_gradients_match():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(5, 1)), rng.normal(size=(7, 1))
    loss, d_real, d_fake = discriminator_loss(real, fake)
    d = lambda s: 1 / (1 + np.exp(-s))  # noqa: E731
    value = np.log(d(real)).mean() + np.log(1 - d(fake)).mean()
    assert loss == pytest.approx(-value, rel=1e-12)
    num_real = numerical_gradient(lambda: discriminator_loss(real, fake)[0], real, 1e-6)
    num_fake = numerical_gradient(lambda: discriminator_loss(real, fake)[0], fake, 1e-6)
    assert relative_error(d_real, num_real) < 1e-8
    assert relative_error(d_fake, num_fake) < 1e-8


@pytest.mark.parametrize("kind", ["saturating", "non_saturating"])
def test_generator_losses_and_gradients(kind):
    scores = np.linspace(-6, 6, 9)[:, None]
    loss, grad = generator_loss(scores, kind)
    d = 1 / (1 + np.exp(-scores))
    expected = np.log(1 - d).mean() if kind == "saturating" else -np.log(d).mean()
    assert loss == pytest.approx(expected, rel=1e-12)
    numeric = numerical_gradient(lambda: generator_loss(scores, kind)[0], scores, 1e-6)
    assert relative_error(grad, numeric) < 1e-8


def test_the_saturating_loss_vanishes_where_the_discriminator_wins_and_the_other_does_not():
    confident_rejection = np.array([[-20.0]])
    _, saturating = generator_loss(confident_rejection, "saturating")
    _, non_saturating = generator_loss(confident_rejection, "non_saturating")
    assert abs(saturating[0, 0]) < 1e-8
    assert non_saturating[0, 0] == pytest.approx(-1.0, abs=1e-8)


def test_losses_refuse_bad_input():
    with pytest.raises(ValueError, match="generator_loss: kind must be one of"):
        generator_loss(np.zeros((2, 1)), "wasserstein")
    with pytest.raises(ValueError, match="discriminator_loss: real_scores contains 1 NaN"):
        discriminator_loss(np.array([[np.nan]]), np.zeros((1, 1)))
    with pytest.raises(ValueError, match="fake_scores is empty"):
        generator_loss(np.zeros((0, 1)))


def test_pack_and_minibatch_stddev_pass_the_gradient_check():
    rng = np.random.default_rng(1)
    assert gradcheck(Pack(3), rng.normal(size=(6, 2))).passed()
    assert gradcheck(MinibatchStdDev(group_size=None), rng.normal(size=(5, 3))).passed()
    assert gradcheck(MinibatchStdDev(), rng.normal(size=(8, 3))).passed()
    assert gradcheck(MinibatchStdDev(group_size=3), rng.normal(size=(6, 2))).passed()
    model = nn.Sequential(Pack(2), nn.Linear(4, 3, rng=0), nn.Tanh(), nn.Linear(3, 1, rng=1))
    assert gradcheck(model, rng.normal(size=(4, 2))).passed()


def test_minibatch_stddev_keeps_groups_apart():
    # Each row's extra feature is the mean spread of its own group of consecutive rows,
    # so the real half of a [real; generated] batch never sees the generated half.
    rng = np.random.default_rng(2)
    real, fake = rng.normal(size=(8, 3)), rng.normal(size=(8, 3))
    layer = MinibatchStdDev(group_size=4)
    out = layer.forward(np.concatenate([real, fake]))
    for g in range(4):
        rows = np.concatenate([real, fake])[4 * g:4 * g + 4]
        expected = np.sqrt(rows.var(axis=0) + layer.eps).mean()
        np.testing.assert_allclose(out[4 * g:4 * g + 4, -1], expected, rtol=1e-12)
    changed = layer.forward(np.concatenate([real, 10 * fake]))
    np.testing.assert_array_equal(changed[:8], out[:8])
    whole = MinibatchStdDev(group_size=None).forward(real)
    np.testing.assert_allclose(whole[:, -1], np.sqrt(real.var(axis=0) + 1e-8).mean())
    with pytest.raises(ValueError, match=r"MinibatchStdDev\(\): x must have shape \(N, D\) "
                                         "with N >= 2 and a multiple of group_size=4"):
        layer.forward(real[:6])
    with pytest.raises(ValueError, match="group_size"):
        MinibatchStdDev(group_size=1)


def test_pack_groups_consecutive_rows_and_refuses_a_ragged_batch():
    x = np.arange(12.0).reshape(6, 2)
    np.testing.assert_array_equal(Pack(2).forward(x)[1], [4.0, 5.0, 6.0, 7.0])
    with pytest.raises(ValueError, match=r"Pack\(4\): x must have shape \(N, D\) with N a "
                                         "multiple of 4"):
        Pack(4).forward(x)
    with pytest.raises(ValueError, match="Pack: m must be in"):
        Pack(0)


@pytest.mark.parametrize(("make", "name"), [
    (lambda: Pack(2), r"Pack\(2\)"),
    (lambda: nn.Flatten(), r"Flatten\(\)"),
    (lambda: nn.Unflatten(1, (2, 2)), r"Unflatten\(1, \(2, 2\)\)"),
])
def test_reshape_layers_share_one_backward_that_checks_dout(make, name):
    """Pack, Flatten and Unflatten share nn.flatten._Reshape's backward: each gradient goes
    back to the input position it came from, and a dout that does not fit is refused with
    the layer's own name, before forward and after."""
    layer = make()
    with pytest.raises(RuntimeError, match=rf"^{name}: backward\(\) called before forward"):
        layer.backward(np.ones((2, 8)))
    x = np.arange(16.0).reshape(4, 4)
    y = layer(x)
    np.testing.assert_array_equal(layer.backward(y), x)   # a reshape moves no number
    with pytest.raises(ValueError, match=rf"^{name}: dout must have the output's shape"):
        layer.backward(np.ones((3, 3)))
    with pytest.raises(TypeError, match=rf"^{name}: dout has dtype float32"):
        layer.backward(y.astype(np.float32))


def _small_gan(seed=0, pack=1):
    rng = np.random.default_rng(seed)
    G = nn.Sequential(nn.Linear(2, 8, rng=rng), nn.Tanh(), nn.Linear(8, 2, rng=rng))
    first = [Pack(pack)] if pack > 1 else []
    D = nn.Sequential(*first, nn.Linear(2 * pack, 8, rng=rng), nn.Tanh(),
                      nn.Linear(8, 1, rng=rng))
    return GAN(G, D, optim.SGD(G, lr=0.05), optim.SGD(D, lr=0.05), latent_dim=2, rng=seed)


@pytest.mark.parametrize("kind", ["saturating", "non_saturating"])
def test_the_generator_gradient_through_the_discriminator_equals_finite_differences(kind):
    gan = _small_gan()
    z = gan.noise(6)

    def loss():
        return generator_loss(gan.discriminator.forward(gan.generator.forward(z)), kind)[0]

    gan.generator.zero_grad()
    _, d_scores = generator_loss(gan.discriminator.forward(gan.generator.forward(z)), kind)
    gan.generator.backward(gan.discriminator.backward(d_scores))
    for name, param in gan.generator.named_parameters():
        numeric = numerical_gradient(loss, param, 1e-6)
        assert relative_error(gan.generator.grads[name], numeric) < 1e-7, name


def test_a_step_updates_both_players_in_turn_and_records_history():
    gan = _small_gan(pack=2)
    X, _ = make_ring_of_gaussians(64, rng=0)
    g0 = gan.generator.params["0.weight"].copy()
    d0 = gan.discriminator.params["1.weight"].copy()
    gan.fit(X, steps=3, batch_size=8)
    assert not np.allclose(g0, gan.generator.params["0.weight"])
    assert not np.allclose(d0, gan.discriminator.params["1.weight"])
    assert {k: len(v) for k, v in gan.history.items()} == {
        "d_loss": 3, "g_loss": 3, "d_real": 3, "d_fake": 3}
    assert all(0 < p < 1 for p in gan.history["d_real"] + gan.history["d_fake"])


def test_d_steps_discriminator_updates_per_generator_update():
    gan = _small_gan()
    gan.d_steps = 3
    calls = []
    step = gan.discriminator_step
    gan.discriminator_step = lambda x: calls.append(len(x)) or step(x)
    X, _ = make_ring_of_gaussians(64, rng=0)
    gan.step([X[:8], X[8:16], X[16:24]])
    assert calls == [8, 8, 8]
    with pytest.raises(ValueError, match="step needs d_steps = 3 real batches, got 1"):
        gan.step([X[:8]])


def test_gan_refuses_classes_and_bad_hyperparameters():
    G, D = nn.Linear(2, 2, rng=0), nn.Linear(2, 1, rng=0)
    with pytest.raises(TypeError, match="g_optimizer must be a Optimizer instance, got the "
                                        "class Adam"):
        GAN(G, D, optim.Adam, optim.Adam(D), latent_dim=2)
    with pytest.raises(ValueError, match="generator_loss must be one of"):
        GAN(G, D, optim.Adam(G), optim.Adam(D), latent_dim=2, generator_loss="hinge")
    with pytest.raises(ValueError, match="latent_dim must be in"):
        GAN(G, D, optim.Adam(G), optim.Adam(D), latent_dim=0)


def test_the_optimal_discriminator_matches_its_formula():
    """Train a discriminator alone on two known 1-D densities: D*(x) = p / (p + q)."""
    rng = np.random.default_rng(0)
    D = nn.Sequential(nn.Linear(1, 32, rng=rng), nn.Tanh(), nn.Linear(32, 1, rng=rng))
    opt = optim.Adam(D, lr=0.01)
    for _ in range(1500):
        real = rng.normal(0.0, 1.0, size=(256, 1))
        fake = rng.normal(1.0, 1.0, size=(256, 1))
        scores = D.forward(np.concatenate([real, fake]))
        _, d_real, d_fake = discriminator_loss(scores[:256], scores[256:])
        opt.zero_grad()
        D.backward(np.concatenate([d_real, d_fake]))
        opt.step()
    x = np.linspace(-1.5, 2.5, 41)[:, None]
    p, q = np.exp(-x ** 2 / 2), np.exp(-(x - 1) ** 2 / 2)
    optimal = p / (p + q)
    learned = 1 / (1 + np.exp(-D.forward(x)))
    assert np.max(np.abs(learned - optimal)) < 0.05


def test_mode_statistics_on_samples_whose_answer_is_known():
    X, centres = make_ring_of_gaussians(4000, rng=0)
    covered, quality = mode_statistics(X, centres, 0.02)
    assert covered == 8 and quality > 0.98  # within 3 sigma: 98.9% of a 2-D Gaussian
    one_mode = centres[[3]] + 0.01 * np.random.default_rng(1).normal(size=(500, 2))
    assert mode_statistics(one_mode, centres, 0.02) == (1, 1.0)
    off = np.zeros((100, 2))  # the ring's centre: far from every mode
    assert mode_statistics(off, centres, 0.02) == (0, 0.0)
    mixed = np.concatenate([one_mode[:300], off])
    assert mode_statistics(mixed, centres, 0.02) == (1, 0.75)
    grid, grid_centres = make_grid_of_gaussians(5000, rng=0)
    assert mode_statistics(grid, grid_centres, 0.05)[0] == 25
    assert mode_statistics(mixed, centres, 0.02, min_count=301)[0] == 0


def test_mixture_generators_and_metrics_refuse_bad_input():
    with pytest.raises(ValueError, match="make_ring_of_gaussians: std must be"):
        make_ring_of_gaussians(10, std=0.0)
    with pytest.raises(ValueError, match="make_grid_of_gaussians: n_samples must be"):
        make_grid_of_gaussians(0)
    with pytest.raises(ValueError, match="make_ring_of_gaussians: radius must be finite"):
        make_ring_of_gaussians(10, radius=float("nan"))
    with pytest.raises(ValueError, match="mode_statistics: samples .* the same D"):
        mode_statistics(np.zeros((3, 3)), np.zeros((2, 2)), 0.1)


def test_a_batch_that_pack_does_not_divide_is_refused_before_anything_changes():
    """Real and generated samples share one discriminator batch: with Pack(2) an odd batch
    would put a real and a generated sample into one pack, so it is refused up front."""
    gan = _small_gan(pack=2)
    assert gan.pack == 2
    X, _ = make_ring_of_gaussians(64, rng=0)
    before = {name: p.copy() for name, p in gan.generator.named_parameters()}
    state = gan.rng.bit_generator.state
    with pytest.raises(ValueError, match=r"^GAN: the discriminator packs 2 samples together, "
                                         r"so the batch size must be a multiple of 2, got 7"):
        gan.fit(X, steps=1, batch_size=7)
    with pytest.raises(ValueError, match=r"multiple of 2, got 5"):
        gan.step([X[:5]])
    assert gan.rng.bit_generator.state == state
    assert all(np.array_equal(before[n], p) for n, p in gan.generator.named_parameters())
    assert gan.history["d_loss"] == []
    gan.fit(X, steps=1, batch_size=6)   # a multiple of 2 trains
    assert len(gan.history["d_loss"]) == 1
    assert _small_gan().pack == 1
