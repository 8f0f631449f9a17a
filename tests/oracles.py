"""Reference frameworks ("oracles") for the tests, imported through :func:`require`.

On a reader's machine a missing oracle skips the tests that need it, with a reason that
says how to get it. In CI (``CI`` set, or ``SCRATCHDL_STRICT=1``) a missing oracle fails
instead: a skip there would hide a broken install step.
"""

from __future__ import annotations

import importlib
import os

import pytest


def strict() -> bool:
    """True in CI, where every reference test must run."""
    return bool(os.environ.get("CI")) or os.environ.get("SCRATCHDL_STRICT") == "1"


def require(module_name: str):
    """Import and return ``module_name``, or skip (fail in CI) the calling test or module.

    Usable at module level (``torch = require("torch")``) and inside a test.
    """
    try:
        return importlib.import_module(module_name)
    except ImportError:
        if strict():
            pytest.fail(f"{module_name} is required in CI: make test installs it "
                        "(tests/requirements-oracles.txt)", pytrace=False)
        pytest.skip(f"needs {module_name}: run `make test`, which installs "
                    "tests/requirements-oracles.txt", allow_module_level=True)
