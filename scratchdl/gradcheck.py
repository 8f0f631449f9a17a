r"""Finite-difference gradient checks, used by the tests and printed in the chapters.

A backward pass is easy to get subtly wrong and still train "somewhat". The check compares
it with central differences, which need nothing but the forward pass:

.. math::
    \frac{\partial f}{\partial \theta_i} \approx
    \frac{f(\theta + h e_i) - f(\theta - h e_i)}{2h},

with an error of order :math:`h^2` (the step :math:`h` is the argument ``eps``). To check a
module whose output is an array we reduce it to the scalar :math:`f = \sum_j y_j R_j` with
a fixed random :math:`R`; then :math:`\partial f / \partial y = R`, which is the ``dout``
we feed to ``backward``. A random :math:`R` (rather than all ones) makes it unlikely that
errors in different outputs cancel.

Each array (every float input, every parameter) gets the relative error between the
analytic gradient :math:`g_a` (from ``backward``) and the numerical one :math:`g_n`,

.. math::
    \frac{\|g_a - g_n\|}{\max(\|g_a\|, \|g_n\|, \text{floor})}

which is about 1e-10 for a correct backward pass in float64 and of order 1 for a wrong one.

The floor is there because finite differences cannot resolve arbitrarily small gradients.
Each value of :math:`f` carries a round-off of a small multiple (we allow 10) of
:math:`u \sum_j |y_j R_j|`, with :math:`u \approx 2.2 \times 10^{-16}`, so each
difference quotient is off by about that divided by :math:`h`. An array whose
gradient is smaller than this noise divided by the book's tolerance (1e-6) is compared
against that level instead of its own norm: otherwise a gradient that is exactly zero,
like that of a bias followed by batch normalization, would show a "relative error" of 1
made of pure round-off.

The checks have no side effects: perturbed values are restored exactly, and the module's
gradients, buffers (BatchNorm's running statistics) and random generators are put back as
they were. Random layers such as Dropout keep their randomness in a
``numpy.random.Generator`` attribute; the check rewinds every such generator to its
starting state before each forward pass, so all passes draw the same mask.
"""

from __future__ import annotations

import numbers
from contextlib import contextmanager

import numpy as np

from scratchdl._validation import check_float_array, check_number, check_rng
from scratchdl.losses import Loss
from scratchdl.nn.module import Module

__all__ = ["TOLERANCE", "GradcheckResult", "gradcheck", "loss_gradcheck", "numerical_gradient",
           "relative_error", "StatefulCheck"]

_TINY = np.finfo(np.float64).tiny
_U = np.finfo(np.float64).eps  # unit round-off of float64
TOLERANCE = 1e-6  # the book's threshold for a passing check
_R_STREAM = 0x67726164  # mixed into an int seed so that R is not the caller's own draws


class GradcheckResult:
    """Relative errors of a gradient check, one per checked array.

    Attributes
    ----------
    name : str
        What was checked, e.g. ``"Linear(3, 4)"``.
    errors : dict of str to float
        Relative error per array: ``"input"`` (or ``"input0"``, ``"input1"``, ... with
        several inputs; ``"pred"`` for a loss) and the parameter names.
    shapes : dict of str to tuple
        Shape of each checked array.
    eps : float
        The finite-difference step.
    mode : str
        ``"training"`` or ``"eval"`` for a module, ``""`` for a loss.
    """

    def __init__(self, name: str, errors: dict, shapes: dict, eps: float, mode: str = ""):
        self.name = name
        self.mode = mode
        self.errors = dict(errors)
        self.shapes = dict(shapes)
        self.eps = eps

    @property
    def max_error(self) -> float:
        """The largest relative error (0.0 if nothing was checked)."""
        return max(self.errors.values(), default=0.0)

    def passed(self, tol: float = TOLERANCE) -> bool:
        """Whether every relative error is below ``tol``."""
        return self.max_error < tol

    def __repr__(self) -> str:
        rows = [("array", "shape", "relative error")]
        rows += [(name, str(self.shapes[name]), f"{error:.1e}")
                 for name, error in self.errors.items()]
        widths = [max(len(row[i]) for row in rows) for i in range(3)]
        mode = f" in {self.mode} mode" if self.mode else ""
        lines = [f"gradcheck {self.name}{mode}, eps={self.eps:g}"]
        for row in rows:
            cells = (cell.ljust(width) for cell, width in zip(row, widths, strict=True))
            lines.append(("  " + "  ".join(cells)).rstrip())
        verdict = "passed" if self.passed() else "FAILED"
        lines.append(f"  max relative error {self.max_error:.1e}: {verdict} "
                     f"(tolerance {TOLERANCE:g})")
        return "\n".join(lines)

    __str__ = __repr__


def relative_error(analytic, numeric, floor=0.0) -> float:
    """``||a - n|| / max(||a||, ||n||, floor)``, and 0 when all three are zero.

    ``analytic`` and ``numeric`` must be finite float arrays of the same shape (a
    broadcast would compare the wrong entries and a NaN would compare as "no error").
    """
    for name, array in (("analytic", analytic), ("numeric", numeric)):
        check_float_array(array, name, owner="relative_error")
    if analytic.shape != numeric.shape:
        raise ValueError(f"relative_error: analytic has shape {analytic.shape} but numeric has "
                         f"{numeric.shape}; compare gradients of the same array")
    floor = check_number(floor, "floor", low=0, owner="relative_error")
    scale = max(np.linalg.norm(analytic), np.linalg.norm(numeric), floor, _TINY)
    return float(np.linalg.norm(analytic - numeric) / scale)


def _floor(size, magnitude, eps):
    """Gradient norm below which central differences cannot reach ``TOLERANCE``.

    ``magnitude`` is the size of the terms summed into f; each f is off by about
    ``_U * magnitude``, each difference quotient by that over ``eps``. The factor 10 allows
    for round-off that the forward pass amplifies (e.g. subtracting a batch mean).
    """
    roundoff = 10 * np.sqrt(size) * _U * magnitude / eps
    return roundoff / TOLERANCE


def numerical_gradient(f, array, eps=1e-6):
    """Central-difference gradient of the scalar function ``f()`` with respect to ``array``.

    ``array`` is perturbed in place, one entry at a time, and every entry is restored to
    its exact original value (even if ``f`` raises).

    Parameters
    ----------
    f : callable with no arguments returning a float
        Reads ``array`` (e.g. a forward pass whose input or parameter it is).
    array : float64 array
    eps : float

    Returns
    -------
    array shaped like ``array``
    """
    if not callable(f):
        raise TypeError(f"numerical_gradient: f must be a function f() -> float, "
                        f"got {type(f).__name__}")
    # An integer array cannot hold x + eps: the perturbation would round away to nothing.
    check_float_array(array, "array", allow_nonfinite=True, owner="numerical_gradient")
    if not array.flags.writeable:
        raise ValueError("numerical_gradient: array is read-only but is perturbed in place")
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 < eps < 1:
        raise ValueError(f"numerical_gradient: eps must be a number in (0, 1), got {eps!r}")
    grad = np.zeros_like(array)
    for index in np.ndindex(array.shape):
        original = array[index]
        try:
            array[index] = original + eps
            f_plus = f()
            array[index] = original - eps
            f_minus = f()
        finally:
            array[index] = original
        grad[index] = (f_plus - f_minus) / (2 * eps)
    return grad


def _check_eps(eps):
    if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or not 0 < eps < 1:
        raise ValueError(f"gradcheck: eps must be a number in (0, 1), got {eps!r}")
    return float(eps)


def _generators(module):
    """Every numpy Generator held by the module or its descendants, each once."""
    found = {}
    for _, submodule in module.named_modules():
        for value in vars(submodule).values():
            if isinstance(value, np.random.Generator):
                found[id(value)] = value
    return list(found.values())


def gradcheck(module, *inputs, eps=1e-6, rng=0) -> GradcheckResult:
    """Compare a module's backward pass with central differences of its forward pass.

    Parameters
    ----------
    module : Module
        Checked in its current mode (``train()`` or ``eval()``). Parameters must be float64.
    *inputs : arrays
        The forward pass's inputs. Float inputs must be float64 and are checked (on
        copies: the caller's arrays are never touched); integer inputs (e.g. token ids)
        are passed through as constants.
    eps : float
        Finite-difference step.
    rng : numpy.random.Generator or int
        Draws the random projection ``R`` of the output. An int seeds a stream of its
        own, different from ``np.random.default_rng(seed)``: with the same seed, inputs
        drawn as ``default_rng(0).standard_normal(shape)`` would otherwise equal ``R``
        and make the check weaker (for BatchNorm, nearly vacuous).

    Returns
    -------
    GradcheckResult
        Errors for ``"input"`` (``"input0"``, ``"input1"``, ... if several) and each
        parameter name.

    Examples
    --------
    >>> import numpy as np
    >>> from scratchdl.nn import Linear
    >>> result = gradcheck(Linear(3, 2, rng=0), np.ones((4, 3)))
    >>> result.passed()
    True
    """
    if not isinstance(module, Module):
        raise TypeError(f"gradcheck: module must be a Module, got {type(module).__name__}")
    eps = _check_eps(eps)
    if isinstance(rng, numbers.Integral) and not isinstance(rng, bool):
        rng = np.random.default_rng([rng, _R_STREAM])
    rng = check_rng(rng)
    if not inputs:
        raise ValueError("gradcheck: give at least one input array")
    inputs = [_copy_input(x, i, len(inputs)) for i, x in enumerate(inputs)]
    for name, param in module.named_parameters():
        if param.dtype != np.float64:
            raise TypeError(f"gradcheck: parameter {name!r} is {param.dtype}; checks need "
                            "float64 (build the module with dtype=np.float64)")
    names = ["input"] if len(inputs) == 1 else [f"input{i}" for i in range(len(inputs))]
    checked = {name: x for name, x in zip(names, inputs, strict=True) if x.dtype.kind == "f"}
    checked.update(dict(module.named_parameters()))

    with _side_effects_undone(module) as rewind_generators:

        def forward():
            rewind_generators()  # the same dropout mask for every evaluation
            return _one_array(module.forward(*inputs))

        out = forward()
        R = rng.standard_normal(out.shape)
        analytic = _analytic_gradients(module, names, inputs, R)

        def f():
            return float(np.sum(forward() * R))

        magnitude = float(np.sum(np.abs(out * R)))
        errors = {name: relative_error(analytic[name], numerical_gradient(f, array, eps),
                                       _floor(array.size, magnitude, eps))
                  for name, array in checked.items()}
    shapes = {name: array.shape for name, array in checked.items()}
    title = repr(module).split("\n")[0].rstrip("(")  # "Linear(3, 2)"; "Sequential"
    return GradcheckResult(title, errors, shapes, eps, "training" if module.training else "eval")


@contextmanager
def _side_effects_undone(module):
    """Save the module's gradients, buffers and generator states; restore them on exit.

    Yields a function that rewinds every generator to its saved state.
    """
    rng_states = [(g, g.bit_generator.state) for g in _generators(module)]
    saved_grads = {name: g.copy() for name, g in module.grads.items()}
    saved_buffers = {name: np.array(b, copy=True) for name, b in module.buffers.items()}

    def rewind_generators():
        for generator, state in rng_states:
            generator.bit_generator.state = state

    try:
        yield rewind_generators
    finally:
        for name, grad in module.grads.items():
            grad[...] = saved_grads[name]
        for name, buffer in module.buffers.items():
            buffer[...] = saved_buffers[name]
        rewind_generators()


def _analytic_gradients(module, names, inputs, R):
    """Gradients from ``backward(R)`` (forward must have run): float inputs and parameters."""
    module.zero_grad()
    dinputs = module.backward(R)
    if len(inputs) == 1:
        dinputs = (dinputs,)
    elif not isinstance(dinputs, (tuple, list)) or len(dinputs) != len(inputs):
        raise ValueError(f"gradcheck: forward takes {len(inputs)} inputs, so backward "
                         f"must return a tuple of {len(inputs)} gradients")
    analytic = {name: _as_gradient(dx, x, name)
                for name, x, dx in zip(names, inputs, dinputs, strict=True)
                if x.dtype.kind == "f"}
    grads = module.grads
    analytic.update({name: grads[name].copy() for name, _ in module.named_parameters()})
    return analytic


def _one_array(out):
    if not isinstance(out, np.ndarray):
        raise TypeError(f"gradcheck: forward must return one array, got {type(out).__name__}")
    return out


def loss_gradcheck(loss, pred, target, eps=1e-6) -> GradcheckResult:
    """Compare a loss's ``backward()`` with central differences of its value.

    Parameters
    ----------
    loss : Loss
    pred : float64 array
        The loss's first argument (predictions or logits); checked on a copy.
    target : array
        Its second argument, held fixed.
    eps : float

    Returns
    -------
    GradcheckResult
        With one error, ``"pred"``. The loss's cached state is left as it was.
    """
    if not isinstance(loss, Loss):
        raise TypeError(f"loss_gradcheck: loss must be a scratchdl Loss, "
                        f"got {type(loss).__name__}")
    eps = _check_eps(eps)
    pred = _check_float64(pred, "pred", "loss_gradcheck").copy()
    saved = dict(vars(loss))
    try:
        value = loss(pred, target)
        analytic = _as_gradient(loss.backward(), pred, "pred")
        numeric = numerical_gradient(lambda: loss(pred, target), pred, eps)
    finally:
        vars(loss).clear()
        vars(loss).update(saved)
    # The per-element losses are >= 0, so |value| measures the terms summed into it.
    error = relative_error(analytic, numeric, _floor(pred.size, abs(value), eps))
    return GradcheckResult(repr(loss), {"pred": error}, {"pred": pred.shape}, eps)


def _copy_input(x, index, count):
    name = "input" if count == 1 else f"input{index}"
    if isinstance(x, np.ndarray) and x.dtype.kind in "iu":
        return x  # integer inputs (indices) are constants, not checked
    return _check_float64(x, name, "gradcheck").copy()


def _as_gradient(dx, x, name):
    if not isinstance(dx, np.ndarray) or dx.shape != x.shape:
        got = dx.shape if isinstance(dx, np.ndarray) else type(dx).__name__
        raise ValueError(f"gradcheck: backward returned a gradient for {name!r} of shape "
                         f"{got}, expected {x.shape}")
    return dx


def _check_float64(x, name, owner):
    check_float_array(x, name, owner=owner)
    if x.dtype != np.float64:
        raise TypeError(f"{owner}: {name} must be float64 (finite differences need double "
                        f"precision), got {x.dtype}")
    return x


class StatefulCheck(Module):
    """A recurrent layer seen as one array in, one array out, for :func:`gradcheck`.

    ``forward(x, h0)`` (``forward(x, h0, c0)`` for an LSTM) runs the layer from the given
    initial state and returns its output and final state(s) flattened into one vector, so
    a gradient check covers dL/dx, dL/dh_0 (and dL/dc_0), every parameter, and the
    gradients arriving through ``h_n`` (and ``c_n``) at once.

    Parameters
    ----------
    layer : RNN, LSTM or GRU
    """

    def __init__(self, layer):
        super().__init__()
        self.layer = layer
        self.shapes = None

    def forward(self, x, *states):
        hx = states[0] if len(states) == 1 else tuple(states)
        output, final = self.layer.forward(x, hx)
        finals = final if isinstance(final, tuple) else (final,)
        self.shapes = [output.shape] + [f.shape for f in finals]
        return np.concatenate([output.ravel()] + [f.ravel() for f in finals])

    def backward(self, dout):
        pieces, start = [], 0
        for shape in self.shapes:
            size = int(np.prod(shape))
            pieces.append(dout[start:start + size].reshape(shape))
            start += size
        dx = self.layer.backward(*pieces)
        dstates = (self.layer.dh0,) if len(pieces) == 2 else (self.layer.dh0, self.layer.dc0)
        return (dx, *dstates)
