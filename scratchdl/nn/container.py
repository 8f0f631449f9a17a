"""Sequential: modules applied one after another."""

from __future__ import annotations

from scratchdl.nn.module import Module


class Sequential(Module):
    """Apply modules in order; backward applies their backward passes in reverse.

    Children are named ``"0"``, ``"1"``, ... so parameters read ``"0.weight"``, exactly as
    in ``torch.nn.Sequential`` and its ``state_dict``.

    Examples
    --------
    >>> from scratchdl.nn import Linear, ReLU, Sequential
    >>> model = Sequential(Linear(2, 16, rng=0), ReLU(), Linear(16, 3, rng=1))
    >>> sorted(model.params)
    ['0.bias', '0.weight', '2.bias', '2.weight']
    """

    def __init__(self, *modules: Module):
        super().__init__()
        for module in modules:
            self.append(module)

    def append(self, module: Module) -> Sequential:
        if not isinstance(module, Module):
            raise TypeError(f"{type(self).__name__}: every child must be a Module, "
                            f"got {type(module).__name__}")
        setattr(self, str(len(self._modules)), module)
        return self

    def __getitem__(self, index: int) -> Module:
        return list(self._modules.values())[index]

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def forward(self, x):
        # A later layer may reject x after an earlier one (BatchNorm in training) updated
        # its running statistics; put them back, so that a call that raises changes nothing.
        saved = [(buffer, buffer.copy()) for buffer in self.buffers.values()] if (
            self.training) else []
        try:
            for module in self._modules.values():
                x = module.forward(x)
        except Exception:
            for buffer, before in saved:
                buffer[...] = before
            raise
        return x

    def backward(self, dout):
        for module in reversed(self._modules.values()):
            dout = module.backward(dout)
        return dout
