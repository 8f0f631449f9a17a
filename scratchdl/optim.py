"""Optimizers and learning-rate schedules, with ``torch.optim``'s update rules.

An optimizer holds references to a module's parameters and gradients (the arrays
themselves, so it sees every backward pass) and updates the parameters **in place**::

    optimizer = Adam(model, lr=1e-3)
    optimizer.zero_grad()               # gradients accumulate, so clear them first
    model.backward(loss.backward())
    optimizer.step()

A step checks every gradient before it touches any parameter: a NaN or infinite gradient
raises ``ValueError`` naming the parameter, and a parameter that was replaced since the
optimizer was built (e.g. by ``module.to(np.float32)``) raises ``RuntimeError``, rather
than being skipped silently. An update that would make a parameter (or the optimizer's
state) NaN or infinite, from a huge learning rate or ``eps=0``, raises ``ValueError``
and leaves every parameter and the state as they were.

A scheduler changes ``optimizer.lr`` once per epoch::

    scheduler = CosineAnnealingLR(optimizer, T_max=50)
    for epoch in range(50):
        train_one_epoch()
        scheduler.step()
"""

from __future__ import annotations

import math

import numpy as np

from scratchdl._validation import NonFiniteError, check_number
from scratchdl.nn.module import Module, unique_parameters

__all__ = [
    "Optimizer",
    "SGD",
    "Adam",
    "AdamW",
    "LRScheduler",
    "StepLR",
    "ExponentialLR",
    "CosineAnnealingLR",
]


class Optimizer:
    """Base class: holds the parameters, validates, and applies ``update`` to each.

    Subclasses implement ``update(param, grad, state)``, which changes ``param`` in place;
    ``state`` is a dict kept per parameter (momentum buffers, moment estimates).

    Parameters
    ----------
    module : Module or iterable of Modules
        Whose parameters to optimize.
    lr : float >= 0
        Learning rate; schedulers change it through the ``lr`` attribute.
    """

    def __init__(self, module, lr):
        name = type(self).__name__
        self.parameters = unique_parameters(module, name)
        self.modules = [module] if isinstance(module, Module) else list(module)
        if not self.parameters:
            raise ValueError(f"{name}: the module has no parameters to optimize")
        self.lr = lr
        self.state = {name: {} for name, _, _ in self.parameters}
        self._links = _links(self.modules)

    @property
    def lr(self) -> float:
        """The learning rate (a float >= 0)."""
        return self._lr

    @lr.setter
    def lr(self, value):
        self._lr = check_number(value, "lr", low=0, owner=type(self).__name__)

    def zero_grad(self) -> None:
        """Set every gradient to zero, in place."""
        for _, _, grad in self.parameters:
            grad.fill(0)

    def step(self) -> None:
        """Update every parameter once, after checking all of them.

        Raises
        ------
        ValueError
            (a ``NonFiniteError``) if a gradient is not
            finite, or if the update would make a parameter or the optimizer's state NaN
            or infinite; the parameters and the state are then unchanged.
        """
        self._check_parameters()
        saved = [(param.copy(), _copy_state(self.state[name]))
                 for name, param, _ in self.parameters]
        # Parameters, gradients and state are finite here, so any NaN or inf that NumPy
        # arithmetic makes comes from an overflow, 0/0 or x/0, which its flags catch; the
        # last check catches what Python arithmetic on the hyperparameters might make.
        name = None
        try:
            with np.errstate(over="raise", invalid="raise", divide="raise"):
                for name, param, grad in self.parameters:
                    self.update(param, grad, self.state[name])
                    if not np.isfinite(param).all():
                        raise FloatingPointError("a non-finite result")
        except FloatingPointError as error:
            for (key, param, _), (old_param, old_state) in zip(self.parameters, saved,
                                                                strict=True):
                param[...] = old_param
                self.state[key] = old_state
            raise NonFiniteError(
                f"{self!r}: this step would make parameter {name!r} or its state NaN or "
                f"infinite ({error}); no parameter was updated. Try a smaller learning "
                "rate (or eps > 0)"
            ) from None

    def update(self, param, grad, state) -> None:
        raise NotImplementedError

    def _check_parameters(self):
        owner = type(self).__name__
        for kind, name, store, key, value in self._links:
            if store.get(key) is not value:
                raise RuntimeError(
                    f"{owner}: {kind} {name!r} was replaced after the optimizer was created "
                    "(e.g. by module.to()); create the optimizer after changing the module"
                )
        for name, _, grad in self.parameters:
            if not np.isfinite(grad).all():
                bad = int(grad.size - np.count_nonzero(np.isfinite(grad)))
                raise NonFiniteError(
                    f"{owner}: the gradient of {name!r} contains {bad} NaN or infinite "
                    "value(s); no parameter was updated"
                )

    def _hyperparameters(self) -> dict:
        return {"lr": self.lr}

    def __repr__(self):
        arguments = ", ".join(f"{k}={v}" for k, v in self._hyperparameters().items())
        return f"{type(self).__name__}({arguments})"


def _links(modules) -> list:
    """``(kind, dotted name, dict, key, value)`` for every child, parameter and gradient.

    A step checks that each ``dict[key]`` is still ``value``: if a parameter or a child was
    replaced, the optimizer would update arrays that the model no longer uses.
    """
    links = []
    for index, module in enumerate(modules):
        top = f"{index}." if len(modules) > 1 else ""
        for prefix, sub in module.named_modules():
            where = top + (f"{prefix}." if prefix else "")
            for kind, store in (("module", sub._modules), ("parameter", sub._params),
                                ("gradient", sub._grads)):
                links += [(kind, where + key, store, key, value)
                          for key, value in store.items()]
    return links


def _copy_state(state: dict) -> dict:
    return {key: value.copy() if isinstance(value, np.ndarray) else value
            for key, value in state.items()}


class SGD(Optimizer):
    r"""Stochastic gradient descent, with optional momentum and L2 weight decay.

    With :math:`g = \nabla_\theta L + \lambda \theta` (weight decay :math:`\lambda`):

    .. math::
        b \leftarrow \rho b + (1 - \tau) g \quad (b = g \text{ at the first step}), \qquad
        \theta \leftarrow \theta - \eta\, d,

    where :math:`d = b`, or :math:`d = g + \rho b` with Nesterov momentum, or :math:`d = g`
    without momentum. This is ``torch.optim.SGD``'s rule.

    Parameters
    ----------
    module : Module or iterable of Modules
    lr : float >= 0
        :math:`\eta`.
    momentum : float >= 0
        :math:`\rho`.
    dampening : float in [0, 1]
        :math:`\tau`.
    nesterov : bool
        Needs ``momentum > 0`` and ``dampening = 0``.
    weight_decay : float >= 0
        :math:`\lambda`, the coefficient of the penalty :math:`\frac\lambda2\|\theta\|^2`.
    """

    def __init__(self, module, lr, momentum=0.0, dampening=0.0, nesterov=False,
                 weight_decay=0.0):
        owner = "SGD"
        self.momentum = check_number(momentum, "momentum", low=0, owner=owner)
        self.dampening = check_number(dampening, "dampening", low=0, high=1, owner=owner)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0, owner=owner)
        self.nesterov = bool(nesterov)
        if self.nesterov and (self.momentum <= 0 or self.dampening != 0):
            raise ValueError("SGD: nesterov=True requires momentum > 0 and dampening = 0, "
                             f"got momentum={self.momentum}, dampening={self.dampening}")
        super().__init__(module, lr)

    def update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        if self.momentum:
            if "momentum_buffer" not in state:
                state["momentum_buffer"] = grad.copy()
            else:
                buf = state["momentum_buffer"]
                buf *= self.momentum
                buf += (1 - self.dampening) * grad
            buf = state["momentum_buffer"]
            grad = grad + self.momentum * buf if self.nesterov else buf
        param -= self.lr * grad

    def _hyperparameters(self):
        return {"lr": self.lr, "momentum": self.momentum, "dampening": self.dampening,
                "nesterov": self.nesterov, "weight_decay": self.weight_decay}


class Adam(Optimizer):
    r"""Adam (Kingma and Ba, 2015), with ``torch.optim.Adam``'s L2 weight decay.

    With :math:`g = \nabla_\theta L + \lambda \theta` and step count :math:`t`:

    .. math::
        m \leftarrow \beta_1 m + (1 - \beta_1) g, \qquad
        v \leftarrow \beta_2 v + (1 - \beta_2) g^2,

        \hat m = \frac{m}{1 - \beta_1^t}, \qquad \hat v = \frac{v}{1 - \beta_2^t}, \qquad
        \theta \leftarrow \theta - \eta \frac{\hat m}{\sqrt{\hat v} + \epsilon}.

    The bias corrections undo the pull towards the zero initial :math:`m, v` in the first
    steps. Weight decay here is added to the gradient (coupled), so it is rescaled by
    :math:`\sqrt{\hat v}` like the gradient; :class:`AdamW` decouples it.

    Parameters
    ----------
    module : Module or iterable of Modules
    lr : float >= 0
        :math:`\eta`.
    betas : (float, float), each in [0, 1)
        :math:`\beta_1, \beta_2`, decay rates of the moment estimates.
    eps : float >= 0
        :math:`\epsilon`, guards against division by zero.
    weight_decay : float >= 0
        :math:`\lambda`.
    """

    def __init__(self, module, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        owner = type(self).__name__
        try:
            beta1, beta2 = betas
        except (TypeError, ValueError):
            raise ValueError(f"{owner}: betas must be a pair (beta1, beta2), "
                             f"got {betas!r}") from None
        self.betas = (
            check_number(beta1, "betas[0]", low=0, high=1, high_inclusive=False, owner=owner),
            check_number(beta2, "betas[1]", low=0, high=1, high_inclusive=False, owner=owner),
        )
        self.eps = check_number(eps, "eps", low=0, owner=owner)
        self.weight_decay = check_number(weight_decay, "weight_decay", low=0, owner=owner)
        super().__init__(module, lr)

    def update(self, param, grad, state):
        if self.weight_decay:
            grad = grad + self.weight_decay * param
        self._adam_update(param, grad, state)

    def _adam_update(self, param, grad, state):
        beta1, beta2 = self.betas
        if not state:
            state.update(step=0, exp_avg=np.zeros_like(param), exp_avg_sq=np.zeros_like(param))
        state["step"] += 1
        t, m, v = state["step"], state["exp_avg"], state["exp_avg_sq"]
        m[...] = beta1 * m + (1 - beta1) * grad
        v[...] = beta2 * v + (1 - beta2) * grad**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        param -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def _hyperparameters(self):
        return {"lr": self.lr, "betas": self.betas, "eps": self.eps,
                "weight_decay": self.weight_decay}


class AdamW(Adam):
    r"""Adam with decoupled weight decay (Loshchilov and Hutter, 2019).

    Each step first shrinks the parameters, :math:`\theta \leftarrow (1 - \eta\lambda)\theta`,
    then takes a plain Adam step on the loss gradient alone, so the decay is not rescaled
    by Adam's per-parameter step sizes. This is ``torch.optim.AdamW``.

    Parameters are those of :class:`Adam`; ``weight_decay`` defaults to ``1e-2``.
    """

    def __init__(self, module, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2):
        super().__init__(module, lr, betas, eps, weight_decay)

    def update(self, param, grad, state):
        param *= 1 - np.float64(self.lr) * self.weight_decay  # NumPy flags an overflow here
        self._adam_update(param, grad, state)


class LRScheduler:
    """Base class: sets ``optimizer.lr`` from the epoch count with a closed-form rule.

    Like PyTorch, creating a scheduler sets the epoch-0 learning rate, and each ``step()``
    (once per epoch, after the optimizer's steps) moves to the next epoch. The base
    learning rate is ``optimizer.lr`` when the scheduler is created. Subclasses implement
    ``lr_at(epoch)``.
    """

    def __init__(self, optimizer):
        if not isinstance(optimizer, Optimizer):
            raise TypeError(f"{type(self).__name__}: optimizer must be a scratchdl Optimizer, "
                            f"got {type(optimizer).__name__}")
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0
        optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        """Advance one epoch and set the optimizer's learning rate for it.

        The new rate is computed and checked first: if it overflows, ``ValueError`` is
        raised and neither the epoch count nor the learning rate changes.
        """
        epoch = self.last_epoch + 1
        try:
            lr = float(self.lr_at(epoch))
        except OverflowError:
            lr = math.inf
        if not math.isfinite(lr):
            raise ValueError(f"{type(self).__name__}: the learning rate at epoch {epoch} "
                             f"overflows (base lr {self.base_lr}); nothing was changed")
        self.optimizer.lr = lr
        self.last_epoch = epoch

    def get_last_lr(self) -> float:
        """The learning rate set by the last ``step()`` (or by construction).

        PyTorch returns a list with one rate per parameter group; an optimizer here has a
        single group, so this is a float.
        """
        return self.optimizer.lr


class StepLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every ``step_size`` epochs.

    :math:`\eta_t = \eta_0\, \gamma^{\lfloor t / \text{step\_size} \rfloor}`.

    Parameters
    ----------
    optimizer : Optimizer
    step_size : int >= 1
    gamma : float > 0
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        self.step_size = check_number(step_size, "step_size", low=1, integer=True,
                                      owner="StepLR")
        self.gamma = check_number(gamma, "gamma", low=0, low_inclusive=False, owner="StepLR")
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    r"""Multiply the learning rate by ``gamma`` every epoch: :math:`\eta_t = \eta_0 \gamma^t`.

    Parameters
    ----------
    optimizer : Optimizer
    gamma : float > 0
    """

    def __init__(self, optimizer, gamma):
        self.gamma = check_number(gamma, "gamma", low=0, low_inclusive=False,
                                  owner="ExponentialLR")
        super().__init__(optimizer)

    def lr_at(self, epoch):
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    r"""Cosine decay from the base rate to ``eta_min`` over ``T_max`` epochs.

    .. math::
        \eta_t = \eta_{min} + \frac12 (\eta_0 - \eta_{min})
        \left(1 + \cos\frac{\pi t}{T_{max}}\right)

    (Loshchilov and Hutter, 2017, without restarts). Past ``T_max`` the rate follows the
    cosine back up, as PyTorch's does.

    Parameters
    ----------
    optimizer : Optimizer
    T_max : int >= 1
        Number of epochs of the decay.
    eta_min : float >= 0
        Final learning rate.
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        owner = "CosineAnnealingLR"
        self.T_max = check_number(T_max, "T_max", low=1, integer=True, owner=owner)
        self.eta_min = check_number(eta_min, "eta_min", low=0, owner=owner)
        super().__init__(optimizer)

    def lr_at(self, epoch):
        cosine = (1 + math.cos(math.pi * epoch / self.T_max)) / 2
        return self.eta_min + (self.base_lr - self.eta_min) * cosine
