"""scratchdl.display's numbers typeset for prose, and reading them back."""

from __future__ import annotations

import doctest

import numpy as np
import pytest

import scratchdl.display as display
from scratchdl.display import MINUS, number, parse_number, sci


@pytest.mark.parametrize("x, digits, text", [
    (1.234e-14, 2, "1.2 × 10⁻¹⁴"),
    (3.6e-15, 2, "3.6 × 10⁻¹⁵"),
    (0.0, 2, "exactly 0"),
    (-0.0, 2, "exactly 0"),
    (2.5, 2, "2.5"),
    (9.99, 2, "1.0 × 10¹"),          # rounding carries into the exponent
    (-45600, 3, f"{MINUS}4.56 × 10⁴"),
    (np.float32(1e-7), 1, "1 × 10⁻⁷"),
    (123, 3, "1.23 × 10²"),
])
def test_sci(x, digits, text):
    assert sci(x, digits) == text


@pytest.mark.parametrize("x, decimals, text", [
    (12345.67, 1, "12,345.7"),
    (1000, 0, "1,000"),
    (-3, 0, f"{MINUS}3"),
    (-0.04, 1, "0.0"),
    (np.int64(60000), 0, "60,000"),
])
def test_number(x, decimals, text):
    assert number(x, decimals) == text


@pytest.mark.parametrize("x", [1.2e-14, 3.6e-15, 0.0, -45600.0, 7.0, 1.5e300, 1e-300])
def test_parse_number_reads_back_what_sci_prints(x):
    shown = sci(x, digits=2)
    assert parse_number(shown) == pytest.approx(float(f"{x:.1e}"), rel=1e-12)


def test_parse_number_reads_back_what_number_prints():
    assert parse_number(number(1234567.891, 2)) == 1234567.89
    assert parse_number(number(-12, 0)) == -12.0


@pytest.mark.parametrize("text", ["1.2e-14", "abc", "", "1,23", "1.2 × 10", "12 percent",
                                  "exactly 1"])
def test_parse_number_refuses_other_text(text):
    with pytest.raises(ValueError, match="parse_number: text must be a typeset number"):
        parse_number(text)


@pytest.mark.parametrize("call, error, words", [
    (lambda: sci(float("nan")), ValueError, "sci: x must be finite"),
    (lambda: sci("1"), TypeError, "sci: x must be a real number, got str"),
    (lambda: sci(True), TypeError, "sci: x must be a real number, got bool"),
    (lambda: sci(1.0, digits=0), ValueError, "sci: digits must be an integer >= 1"),
    (lambda: number(float("inf")), ValueError, "number: x must be finite"),
    (lambda: number(1.0, decimals=-1), ValueError, "number: decimals must be"),
    (lambda: number(1.0, decimals=1.5), ValueError, "number: decimals must be"),
    (lambda: parse_number(1.0), TypeError, "parse_number: text must be a str"),
])
def test_bad_input(call, error, words):
    with pytest.raises(error, match=words):
        call()


def test_docstring_examples():
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner()
    for function in (sci, number, parse_number):
        for test in finder.find(function, globs={"sci": sci, "number": number,
                                                 "parse_number": parse_number}):
            runner.run(test)
    assert runner.failures == 0 and runner.tries >= 6
    assert display.MINUS == "\u2212"
