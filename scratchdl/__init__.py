"""scratchdl: deep learning from scratch with NumPy, the tested package behind the book.

Subpackages and modules, one concept each: ``nn`` (layers), ``functional``, ``graph``
(graph utilities), ``init``, ``losses``, ``optim``, ``gradcheck``, ``data``, ``train``,
``metrics``, ``models`` (estimators and composite models), ``plot``, ``diagrams``
(schematic figures), ``display``.
"""

__version__ = "0.1.0"

from scratchdl import (  # noqa: E402
    data,
    diagrams,
    display,
    functional,
    gradcheck,
    graph,
    init,
    losses,
    metrics,
    models,
    nn,
    optim,
    plot,
    train,
)

__all__ = [
    "__version__",
    "data",
    "diagrams",
    "display",
    "functional",
    "gradcheck",
    "graph",
    "init",
    "losses",
    "metrics",
    "models",
    "nn",
    "optim",
    "plot",
    "train",
]
