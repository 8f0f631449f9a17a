"""What the published MNIST-1D MLP accuracy (68%) needs: the reference recipe, run here.

Not a speed benchmark: an accuracy experiment run by hand, outside the book, to explain the
gap between chapter 07's MLP and the paper's table (Greydanus 2020). It trains, on the
default MNIST-1D split (4,000 training and 1,000 test signals, identical arrays from
``scratchdl.data.make_mnist1d`` and the ``mnist1d`` package), over several seeds:

* ``torch-reference``: the reference repository's recipe, rewritten here from its
  description: an MLP 40-100-100-10 whose *second layer is residual*
  (h2 = h1 + relu(W2 h1 + b2)), PyTorch's default initialization, Adam with learning rate
  0.01, batches of 100 taken in order without shuffling, 6,000 steps (150 epochs); the
  test accuracy after the last step and the best of the evaluations every 250 steps
  (the reference prints both kinds of number; the table reports one run).
* ``torch-plain``: the same with the plain (non-residual) MLP the chapter uses.
* ``scratchdl-plain`` / ``scratchdl-residual``: the same two networks and recipe trained by
  scratchdl (float32), to show the package reproduces what PyTorch gets.

Run: ``OPENBLAS_NUM_THREADS=1 .venv/bin/python benchmarks/mnist1d_reference_recipe.py``
(about a minute per model and seed on one core).
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch

from scratchdl import nn, optim
from scratchdl.data import make_mnist1d
from scratchdl.losses import CrossEntropyLoss

STEPS, BATCH, LR, EVAL_EVERY = 6000, 100, 1e-2, 250


class TorchMLP(torch.nn.Module):
    def __init__(self, residual):
        super().__init__()
        self.residual = residual
        self.l1, self.l2, self.l3 = (torch.nn.Linear(40, 100), torch.nn.Linear(100, 100),
                                     torch.nn.Linear(100, 10))

    def forward(self, x):
        h = self.l1(x).relu()
        h = h + self.l2(h).relu() if self.residual else self.l2(h).relu()
        return self.l3(h)


class Residual(nn.Module):
    """x + f(x) for a scratchdl block f (used only here)."""

    def __init__(self, block):
        super().__init__()
        self.block = block

    def forward(self, x):
        return x + self.block(x)

    def backward(self, dout):
        return dout + self.block.backward(dout)


def torch_run(data, residual, seed):
    x_train, x_test, y_train, y_test = (torch.tensor(a) for a in data)
    torch.manual_seed(seed)
    model = TorchMLP(residual)
    opt = torch.optim.Adam(model.parameters(), LR)
    loss_fn = torch.nn.CrossEntropyLoss()
    accs = []
    for step in range(STEPS + 1):
        start = (step * BATCH) % len(x_train)
        loss = loss_fn(model(x_train[start:start + BATCH]), y_train[start:start + BATCH])
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step % EVAL_EVERY == 0:
            with torch.no_grad():
                accs.append((model(x_test).argmax(1) == y_test).float().mean().item())
    return accs[-1], max(accs)


def scratch_run(data, residual, seed):
    x_train, x_test, y_train, y_test = data
    hidden = nn.Sequential(nn.Linear(100, 100, rng=seed + 1, dtype=np.float32), nn.ReLU())
    model = nn.Sequential(nn.Linear(40, 100, rng=seed, dtype=np.float32), nn.ReLU(),
                          Residual(hidden) if residual else hidden,
                          nn.Linear(100, 10, rng=seed + 2, dtype=np.float32))
    opt = optim.Adam(model, lr=LR)
    loss_fn = CrossEntropyLoss()
    accs = []
    for step in range(STEPS + 1):
        start = (step * BATCH) % len(x_train)
        model.zero_grad()
        loss_fn(model(x_train[start:start + BATCH]), y_train[start:start + BATCH])
        model.backward(loss_fn.backward())
        opt.step()
        if step % EVAL_EVERY == 0:
            accs.append(float(np.mean(model(x_test).argmax(1) == y_test)))
    return accs[-1], max(accs)


def main():
    torch.set_num_threads(1)
    x_train, x_test, y_train, y_test = make_mnist1d()
    data = (x_train.astype(np.float32), x_test.astype(np.float32), y_train.astype(np.int64),
            y_test.astype(np.int64))
    seeds = range(int(sys.argv[1]) if len(sys.argv) > 1 else 5)
    runs = {"torch-reference": (torch_run, True), "torch-plain": (torch_run, False),
            "scratchdl-residual": (scratch_run, True), "scratchdl-plain": (scratch_run, False)}
    for name, (run, residual) in runs.items():
        finals, bests = [], []
        start = time.perf_counter()
        for seed in seeds:
            final, best = run(data, residual, seed)
            finals.append(final), bests.append(best)
        print(f"{name:<20} final test acc {np.mean(finals):.3f} ± {np.std(finals):.3f} "
              f"(runs {', '.join(f'{a:.3f}' for a in finals)}); best of evals "
              f"{np.mean(bests):.3f}; {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
