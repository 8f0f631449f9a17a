"""tests/oracles.require: skip with a how-to on a reader's machine, fail in CI."""

from __future__ import annotations

import pytest

from tests.oracles import require

MISSING = "scratchdl_no_such_oracle"


def test_present_module_is_returned():
    assert require("math").sqrt(4) == 2


def test_missing_oracle_skips_with_instructions(monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.delenv("SCRATCHDL_STRICT", raising=False)
    with pytest.raises(pytest.skip.Exception, match=f"needs {MISSING}: run `make test`"):
        require(MISSING)


@pytest.mark.parametrize(("name", "value"), [("CI", "true"), ("SCRATCHDL_STRICT", "1")])
def test_missing_oracle_fails_in_ci(monkeypatch, name, value):
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv(name, value)
    with pytest.raises(pytest.fail.Exception, match=f"{MISSING} is required in CI"):
        require(MISSING)
