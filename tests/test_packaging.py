"""scratchdl as a normal package: a wheel built from the repository, installed (not
editable) into a virtual environment outside the source tree, loads every bundled data file
and runs a chapter; and every chapter starts with the cell that installs it elsewhere.

No network: the wheel is built without build isolation, and the new environment borrows
the test environment's third-party packages (numpy, matplotlib, ipykernel) through a
``.pth`` line. A ``.pth`` line adds a directory to ``sys.path`` without running the
``.pth`` files inside it, so the test environment's *editable* scratchdl stays invisible:
the only scratchdl the new environment can import is the installed wheel, which the
tests assert.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import textwrap
import zipfile
from pathlib import Path

import nbformat
import pytest

from tests.site import ROOT

sys.path.insert(0, str(ROOT / "book" / "_ext"))
import install_cell  # noqa: E402

# A chapter that reads bundled data files (the 8x8 digits), executed from the wheel.
WHEEL_CHAPTER = "02_som.ipynb"
# Every scratchdl.data.load_* reads a file shipped inside the package, except load_mnist,
# the opt-in download (tested on files the tests make, in tests/test_data_mnist.py).
NOT_BUNDLED = ("load_mnist",)


def run(*args, cwd, **kwargs):
    result = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True,
                            **kwargs)
    assert result.returncode == 0, f"{args} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    """A wheel built from the repository's tracked files (a clean copy, as CI clones)."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    files = run("git", "ls-files", "-z", cwd=ROOT).split("\0")
    for name in filter(None, files):
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
        "--wheel-dir", tmp / "dist", source, cwd=tmp)
    (built,) = (tmp / "dist").glob("scratchdl-*.whl")
    return built


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory) -> Path:
    """A new virtual environment with the wheel installed; returns its python."""
    tmp = tmp_path_factory.mktemp("venv")
    run(sys.executable, "-m", "venv", tmp / "env", cwd=tmp)
    python = tmp / "env" / "bin" / "python"
    site = run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])",
               cwd=tmp).strip()
    Path(site, "borrowed-test-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-index", wheel, cwd=tmp)
    return python


def test_the_wheel_holds_the_package_its_data_files_and_only_runtime_dependencies(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    tracked = run("git", "ls-files", "scratchdl/data/files", cwd=ROOT).split()
    assert tracked, "no data files are tracked"
    missing = [name for name in tracked if name not in names]
    assert not missing, f"data files missing from the wheel: {missing}"
    assert not [n for n in names if n.startswith(("tests/", "book/", "benchmarks/"))]
    (metadata,) = [n for n in names if n.endswith(".dist-info/METADATA")]
    text = zipfile.ZipFile(wheel).read(metadata).decode()
    requires = sorted(line.split(":", 1)[1].split(">")[0].split("=")[0].split("<")[0].strip()
                      for line in text.splitlines() if line.startswith("Requires-Dist:"))
    assert requires == ["matplotlib", "numpy"]


def test_every_bundled_loader_works_from_the_installed_wheel(venv, tmp_path):
    script = textwrap.dedent(f"""
        import json, scratchdl, scratchdl.data as data
        results = {{"file": scratchdl.__file__}}
        for name in dir(data):
            if name.startswith("load_") and name not in {NOT_BUNDLED!r}:
                results[name] = type(getattr(data, name)()).__name__
        print(json.dumps(results))
    """)
    out = json.loads(run(venv, "-c", script, cwd=tmp_path).strip().splitlines()[-1])
    installed = Path(out.pop("file")).resolve()
    assert ROOT not in installed.parents, f"imported the source tree: {installed}"
    assert venv.parent.parent in installed.parents
    assert "load_digits" in out, out  # the loaders ran (each returned without error)


def test_a_chapter_executes_with_the_installed_wheel(venv, tmp_path, monkeypatch):
    from nbclient import NotebookClient

    spec = tmp_path / "jupyter" / "kernels" / "scratchdl-wheel"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv), "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "scratchdl wheel", "language": "python"}))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "jupyter"))
    notebook = nbformat.read(ROOT / "book" / WHEEL_CHAPTER, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell("import scratchdl\nprint(scratchdl.__file__)"))
    NotebookClient(notebook, timeout=600, kernel_name="scratchdl-wheel",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    printed = notebook.cells[-1].outputs[0]["text"].strip()
    assert venv.parent.parent in Path(printed).resolve().parents, printed


def test_every_chapter_starts_with_the_install_cell():
    url = install_cell.configured_url()
    assert install_cell.chapters(), "no chapters found"
    wrong = install_cell.check(url)
    assert not wrong, (f"{wrong}: the first code cell is not the install cell for "
                       f"{url or 'no URL'}; run python book/_ext/install_cell.py")


@pytest.mark.parametrize("url", ["", "https://github.com/someone/deep-learning-from-scratch"])
def test_the_install_cell_does_nothing_where_scratchdl_is_importable(url):
    """Run as IPython would, with %pip replaced: in this environment nothing happens."""
    source = install_cell.cell_source(url).replace("%pip install", "raise SystemExit #")
    exec(compile(source, "install-cell", "exec"), {})


def test_where_scratchdl_is_missing_the_cell_installs_it_or_says_how():
    url = "https://github.com/someone/deep-learning-from-scratch"
    guard = 'if importlib.util.find_spec("scratchdl") is None:\n'
    install = f'    %pip install --quiet "scratchdl @ git+{url}"'
    assert guard + install in install_cell.cell_source(url)
    without_url = install_cell.cell_source("").replace('"scratchdl"', '"scratchdl_missing"')
    with pytest.raises(ModuleNotFoundError, match="does not know its repository"):
        exec(compile(without_url, "install-cell", "exec"), {})
