"""The notebooks of docs/notebooks run from the first cell to the last without an error.

Each notebook runs in a fresh kernel of this interpreter (an ipykernel spec written for
``sys.executable``, so a kernel installed elsewhere on the machine is never picked), with
the notebook's folder as working directory, as under Jupyter, and ``src/`` first on the
kernel's path so that it imports this checkout. A cell that raises fails the test with the
cell's traceback; a cell that runs longer than ``CELL_TIMEOUT`` seconds fails it too.

nbclient rather than ``pytest --nbmake``: the notebooks run in the one pytest session of
``make pytest``, and a notebook that needs an API not yet in ``reviewassign`` (named in
its metadata, ``metadata["reviewassign"]["requires"]``, written by
``docs/notebooks/_make.py``) is skipped with the missing names instead of failing.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest

import reviewassign as ra

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((REPO / "docs" / "notebooks").glob("*.ipynb"))
CELL_TIMEOUT = 120  # seconds; every cell takes a few at most


def missing(requires: list[str]) -> list[str]:
    """The names of ``requires`` that are neither attributes nor submodules of reviewassign."""
    return [
        name
        for name in requires
        if not hasattr(ra, name) and importlib.util.find_spec(f"reviewassign.{name}") is None
    ]


@pytest.fixture(scope="module")
def kernel_specs(tmp_path_factory: pytest.TempPathFactory) -> object:
    from ipykernel.kernelspec import write_kernel_spec
    from jupyter_client.kernelspec import KernelSpecManager

    folder = tmp_path_factory.mktemp("kernels")
    write_kernel_spec(folder / "python3")  # argv: [sys.executable, -m, ipykernel_launcher, ...]
    return KernelSpecManager(kernel_dirs=[str(folder)], ensure_native_kernel=False)


def test_there_are_notebooks() -> None:
    assert [nb.stem for nb in NOTEBOOKS] == sorted(
        [
            "dask_sweep",
            "explain_infeasible",
            "first_assignment",
            "own_region_cost",
            "repair_after_decline",
        ]
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    cells = enumerate(nb.cells)
    ran = [i for i, c in cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not ran, f"{path.name}: cells {ran} have outputs; run docs/notebooks/_make.py"


def test_generator_is_in_sync() -> None:
    spec = importlib.util.spec_from_file_location("_make", REPO / "docs" / "notebooks" / "_make.py")
    assert spec is not None and spec.loader is not None
    make = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make)
    for name in make.NOTEBOOKS:
        written = nbformat.read(REPO / "docs" / "notebooks" / f"{name}.ipynb", as_version=4)
        assert written == make.build(name), f"{name}.ipynb differs from _make.py; run it"


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path: Path, kernel_specs: object, monkeypatch: pytest.MonkeyPatch) -> None:
    from jupyter_client.manager import KernelManager

    nb = nbformat.read(path, as_version=4)
    absent = missing(list(nb.metadata.get("reviewassign", {}).get("requires", [])))
    if absent:
        pytest.skip(f"{path.name} needs reviewassign.{', reviewassign.'.join(absent)}")
    # The kernel inherits this environment: this checkout's src first on its path.
    monkeypatch.setenv(
        "PYTHONPATH", os.pathsep.join([str(REPO / "src"), os.environ.get("PYTHONPATH", "")])
    )
    monkeypatch.setenv("MPLBACKEND", "Agg")
    km = KernelManager(kernel_name="python3", kernel_spec_manager=kernel_specs)
    client = nbclient.NotebookClient(
        nb,
        km=km,
        timeout=CELL_TIMEOUT,
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute(cleanup_kc=True)  # shut the kernel down although we own its manager
    except nbclient.exceptions.CellExecutionError as error:
        pytest.fail(f"{path.name}: a cell raised\n{error}", pytrace=False)
