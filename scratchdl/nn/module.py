"""The Module protocol every gradient-trained building block follows.

A module has an explicit forward and backward pass (there is no autograd: writing the
backward pass is the point of the book).

* ``forward(x)`` computes the output and caches what ``backward`` needs.
* ``backward(dout)`` takes dL/d(output), returns dL/d(input) and **adds** the gradient of
  every parameter into ``grads``. Accumulating (rather than overwriting) is the one rule for
  all modules: it is what makes weight tying and weights shared across time steps correct.
  Call ``zero_grad()`` before each backward pass, as in PyTorch.
* ``params``, ``grads`` and ``buffers`` are read-only mappings from names to arrays, on a
  leaf layer and on a container alike; containers report their children's under dotted
  names (``"0.weight"``). Optimizers and ``load_state_dict`` update these arrays **in
  place**, so a reference taken once stays valid; rebinding a name raises.
* Parameters and buffers are attributes too (``layer.weight``), as in PyTorch, without a
  property per layer; ``named_parameters()`` yields ``(name, parameter)`` pairs and
  ``parameters()`` the arrays, each shared (tied) array once.
* ``train()`` / ``eval()`` switch the behaviour of Dropout and batch normalization.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

import numpy as np

from scratchdl._validation import FLOAT_DTYPES
from scratchdl.nn._checks import describe


class ArrayMapping(Mapping):
    """A read-only view of a module's named arrays (``params``, ``grads``, ``buffers``).

    The arrays inside are updated in place (``grads["weight"] += g`` works, because it
    stores back the very same array); binding a name to another array raises, on a leaf
    layer and on a container alike, because optimizers hold references to the originals.
    """

    def __init__(self, arrays: dict, owner: str, what: str):
        self._arrays, self._owner, self._what = arrays, owner, what

    def __getitem__(self, name):
        return self._arrays[name]

    def __iter__(self):
        return iter(self._arrays)

    def __len__(self):
        return len(self._arrays)

    def __setitem__(self, name, value):
        if name in self._arrays and value is self._arrays[name]:
            return  # an in-place update such as ``grads[name] += g`` stores the same array
        raise TypeError(
            f"{self._owner}.{self._what} is read-only: update the array in place "
            f"({self._what}[{name!r}][...] = value) or use load_state_dict"
        )

    def __delitem__(self, name):
        raise TypeError(f"{self._owner}.{self._what} is read-only: cannot delete {name!r}")

    def __repr__(self):
        return f"{self._what}({dict(self._arrays)!r})"


def unique_parameters(modules, owner: str) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """``(name, parameter, gradient)`` of a Module or an iterable of Modules, each array once.

    The one iteration optimizers and ``clip_grad_norm_`` share. A parameter tied between
    two modules (one array, one gradient) appears once, under its first name. With several
    modules the names are prefixed by the module's position (``"1.weight"``).

    Raises
    ------
    TypeError
        If ``modules`` is neither a Module nor an iterable of Modules (``owner`` names the
        caller in the message).
    """
    if isinstance(modules, Module):
        modules = [modules]
    else:
        try:
            modules = list(modules)
        except TypeError:
            raise TypeError(f"{owner}: module must be a Module or an iterable of Modules, got "
                            f"{type(modules).__name__}") from None
        for item in modules:
            if not isinstance(item, Module):
                raise TypeError(f"{owner}: module must be a Module or an iterable of Modules, got "
                                f"an item of type {type(item).__name__}")
    seen, out = set(), []
    for index, module in enumerate(modules):
        prefix = f"{index}." if len(modules) > 1 else ""
        grads = module.grads
        for name, param in module.params.items():
            if id(param) not in seen:
                seen.add(id(param))
                out.append((prefix + name, param, grads[name]))
    return out


def _loadable(value, target: np.ndarray, name: str, owner: str) -> np.ndarray:
    """``value`` cast to ``target``'s dtype, after checking it fits; raises otherwise."""
    try:
        value = np.asarray(value)
    except (TypeError, ValueError) as error:
        raise TypeError(f"{owner}: {name!r} is not an array of numbers ({error})") from None
    if value.dtype.kind not in "biuf":
        raise TypeError(f"{owner}: {name!r} must hold real numbers, got dtype {value.dtype}")
    if value.shape != target.shape:
        raise ValueError(f"{owner}: {name!r} has shape {value.shape}, "
                         f"expected {target.shape}")
    if value.dtype.kind == "f" and not np.all(np.isfinite(value)):
        raise ValueError(f"{owner}: {name!r} contains NaN or inf")
    with np.errstate(over="ignore", invalid="ignore"):
        cast = value.astype(target.dtype)
    if target.dtype.kind == "f":
        fits = np.all(np.isfinite(cast))
    else:  # integer buffers (counters): the value must survive the round trip exactly
        fits = np.array_equal(cast.astype(value.dtype), value)
    if not fits:
        raise ValueError(f"{owner}: {name!r} does not fit the target dtype {target.dtype} "
                         f"(values from {value.min()} to {value.max()})")
    return cast


class Module:
    """Base class of layers and containers.

    Subclasses call ``super().__init__()``, create parameters with
    :meth:`register_parameter`, and implement ``forward`` and ``backward``.
    Assigning a Module to an attribute registers it as a child, as in PyTorch.
    """

    def __init__(self):
        object.__setattr__(self, "_params", {})
        object.__setattr__(self, "_grads", {})
        object.__setattr__(self, "_buffers", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    # -- registration -------------------------------------------------------------------
    def __setattr__(self, name, value):
        for store in ("_params", "_buffers"):
            arrays = self.__dict__.get(store, {})
            if name in arrays:
                if value is arrays[name]:
                    return  # ``self.weight += g`` updated the array in place
                raise TypeError(
                    f"{type(self).__name__}.{name} is a registered "
                    f"{'parameter' if store == '_params' else 'buffer'}: update it in place "
                    f"({name}[...] = value) or use load_state_dict"
                )
        if isinstance(value, Module):
            self._modules[name] = value
        elif name in self.__dict__.get("_modules", {}):
            del self._modules[name]
        object.__setattr__(self, name, value)

    def __getattr__(self, name):
        # Called only when normal lookup fails: parameters and buffers as attributes.
        for store in ("_params", "_buffers"):
            arrays = self.__dict__.get(store, {})
            if name in arrays:
                return arrays[name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def _work_array(self, name: str, shape: tuple, dtype, fill=None) -> np.ndarray:
        """A layer's scratch array ``name``, kept from one call to the next.

        Made on first use (or when ``shape`` or ``dtype`` changes), filled with ``fill``
        if given; entries a layer never writes (padding borders, a row of ones) keep it.
        Fast routes use these for their intermediate values because tens of megabytes
        allocated afresh on every call cost more than the copies that fill them: Linux
        hands new memory over one 4 KiB page at a time, a page fault each (about 4,000
        per forward pass of the 16 -> 32 channel convolution of
        ``benchmarks/bench_conv.py``, several milliseconds). A layer must not return
        these arrays, only arrays made for the caller.
        """
        work = self.__dict__.setdefault("_work", {})
        array = work.get(name)
        if array is None or array.shape != shape or array.dtype != dtype:
            array = np.empty(shape, dtype) if fill is None else np.full(shape, fill, dtype)
            work[name] = array
        return array

    def register_parameter(self, name: str, value: np.ndarray | None) -> None:
        """Add a trainable array ``value`` under ``name`` with a zeroed gradient beside it.

        ``value=None`` records that the layer has no such parameter (``layer.bias`` is then
        ``None``), as in PyTorch.
        """
        if "." in name or not name:
            raise ValueError(f"{type(self).__name__}.register_parameter: name must be "
                             f"non-empty and without '.', got {name!r}")
        if value is None:
            object.__setattr__(self, name, None)
            return
        if not isinstance(value, np.ndarray) or value.dtype not in FLOAT_DTYPES:
            raise TypeError(
                f"{type(self).__name__}.register_parameter: parameter {name!r} must be a "
                f"float32 or float64 numpy array, got "
                f"{getattr(value, 'dtype', type(value).__name__)}"
            )
        self.__dict__.pop(name, None)  # a plain attribute would hide the parameter
        self._params[name] = value
        self._grads[name] = np.zeros_like(value)

    def tie_parameter(self, name: str, source: Module, source_name: str) -> None:
        """Make parameter ``name`` the very same array as ``source.params[source_name]``.

        The gradient array is shared too, so both users' backward passes add into one
        gradient: this is weight tying (e.g. an embedding and an output layer).
        """
        if name not in self._params or source_name not in source._params:
            raise KeyError(
                f"tie_parameter: {name!r} must be a parameter of {type(self).__name__} and "
                f"{source_name!r} one of {type(source).__name__}"
            )
        own, shared = self._params[name], source._params[source_name]
        if own.shape != shared.shape or own.dtype != shared.dtype:
            raise ValueError(
                f"tie_parameter: {name!r} is {own.shape} {own.dtype} but {source_name!r} is "
                f"{shared.shape} {shared.dtype}"
            )
        self._params[name] = shared
        self._grads[name] = source._grads[source_name]

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Add a non-trainable array (e.g. running statistics) saved in ``state_dict``."""
        if "." in name or not name:
            raise ValueError(f"buffer name must be non-empty and without '.', got {name!r}")
        if value is None:
            object.__setattr__(self, name, None)
            return
        self.__dict__.pop(name, None)
        self._buffers[name] = np.asarray(value)

    # -- the protocol -------------------------------------------------------------------
    def forward(self, *inputs):
        raise NotImplementedError(f"{type(self).__name__} does not implement forward")

    def backward(self, dout):
        raise NotImplementedError(f"{type(self).__name__} does not implement backward")

    def __call__(self, *inputs, **kwargs):
        return self.forward(*inputs, **kwargs)

    # -- parameters, gradients, buffers -------------------------------------------------
    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """Yield ``(dotted name, module)`` for this module and all its descendants."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def children(self) -> Iterator[Module]:
        yield from self._modules.values()

    def _collect(self, attribute: str) -> ArrayMapping:
        if not self._modules:
            arrays = getattr(self, attribute)
        else:
            arrays = {}
            for prefix, module in self.named_modules():
                for name, value in getattr(module, attribute).items():
                    arrays[f"{prefix}.{name}" if prefix else name] = value
        return ArrayMapping(arrays, type(self).__name__, attribute.lstrip("_"))

    @property
    def params(self) -> ArrayMapping:
        """Trainable arrays by (dotted) name, read-only: update the arrays in place."""
        return self._collect("_params")

    @property
    def grads(self) -> ArrayMapping:
        """Gradients of the loss with respect to ``params``: same keys, shapes and dtypes."""
        return self._collect("_grads")

    @property
    def buffers(self) -> ArrayMapping:
        """Non-trainable state (running statistics) by (dotted) name, read-only."""
        return self._collect("_buffers")

    def named_parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        """Yield ``(name, parameter)`` pairs, as ``torch.nn.Module.named_parameters``.

        A parameter shared by two modules (weight tying) is yielded once, under its first
        name.
        """
        for name, param, _ in unique_parameters(self, type(self).__name__):
            yield name, param

    def parameters(self) -> Iterator[np.ndarray]:
        """Yield every trainable array once, as ``torch.nn.Module.parameters``."""
        for _, param in self.named_parameters():
            yield param

    def num_parameters(self) -> int:
        """Number of trainable scalars (shared arrays counted once)."""
        return sum(p.size for p in self.parameters())

    def zero_grad(self) -> None:
        """Set every gradient to zero, in place."""
        for grad in self.grads.values():
            grad.fill(0)

    @property
    def dtype(self):
        """dtype of the parameters (``None`` for a module without any)."""
        for value in self.params.values():
            return value.dtype
        return None

    def to(self, dtype) -> Module:
        """Cast parameters, gradients and floating buffers to ``dtype`` (float32 or float64).

        This replaces the arrays, so create optimizers *after* calling it.
        """
        try:
            dtype = np.dtype(dtype)
        except TypeError:
            dtype = repr(dtype)
        if dtype not in FLOAT_DTYPES:
            raise TypeError(f"{describe(self)}.to: dtype must be float32 or float64, "
                            f"got {dtype}")
        for _, module in self.named_modules():
            for name in module._params:
                module._params[name] = module._params[name].astype(dtype)
                module._grads[name] = module._grads[name].astype(dtype)
            for name, value in module._buffers.items():
                if value.dtype in FLOAT_DTYPES:
                    module._buffers[name] = value.astype(dtype)
        return self

    # -- modes ----------------------------------------------------------------------------
    def train(self, mode: bool = True) -> Module:
        """Switch this module and its children to training (or, with ``False``, eval) mode.

        ``mode`` must be a bool (``train("no")`` would otherwise switch training *on*).
        """
        if not isinstance(mode, (bool, np.bool_)):
            raise ValueError(f"{describe(self)}.train: mode must be True or False, "
                             f"got {mode!r}")
        for _, module in self.named_modules():
            object.__setattr__(module, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Switch to evaluation mode: Dropout is the identity, BatchNorm uses running stats."""
        return self.train(False)

    # -- saving and loading ---------------------------------------------------------------
    def state_dict(self) -> dict[str, np.ndarray]:
        """Copies of every parameter and buffer under dotted names (PyTorch's naming)."""
        state = {name: value.copy() for name, value in self.params.items()}
        state.update({name: np.array(value, copy=True) for name, value in self.buffers.items()})
        return state

    def load_state_dict(self, state: dict, strict: bool = True) -> None:
        """Copy arrays from ``state`` into this module's parameters and buffers, in place.

        Values may be NumPy arrays or anything ``np.asarray`` accepts (e.g. a PyTorch
        tensor's ``.detach().numpy()``); they are cast to each target's dtype. Everything
        is checked before anything is written, so a bad ``state`` changes nothing.

        Raises
        ------
        TypeError
            If ``state`` is not a mapping, or a value does not hold real numbers (complex,
            object, strings).
        ValueError
            For missing or unexpected keys (with ``strict=True``), a wrong shape, NaN or
            inf, or a value that the target's dtype cannot hold (overflow, a fraction
            for an integer buffer).
        """
        owner = f"{describe(self)}.load_state_dict"
        if not isinstance(state, Mapping):
            raise TypeError(f"{owner}: state must be a mapping from names to arrays (what "
                            f"state_dict() returns), got {type(state).__name__}")
        targets = {**self.params, **self.buffers}
        missing = sorted(set(targets) - set(state))
        unexpected = sorted(map(str, set(state) - set(targets)))
        if strict and (missing or unexpected):
            raise ValueError(f"{owner}: missing keys {missing}, unexpected keys {unexpected}")
        arrays = {name: _loadable(state[name], targets[name], name, owner)
                  for name in targets if name in state}
        for name, value in arrays.items():
            np.copyto(targets[name], value)

    # -- printing -------------------------------------------------------------------------
    def extra_repr(self) -> str:
        """Arguments shown inside the parentheses of ``repr``; override in layers."""
        return ""

    def __repr__(self) -> str:
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not self._modules:
            return head + ")"
        lines = [head]
        for name, child in self._modules.items():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        return "\n".join(lines) + "\n)"
