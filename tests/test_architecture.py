"""The layout rules of DESIGN.md, checked: Qt stays out of the core and the trainer, the GUI never
imports the trainer, and importing the engine registry loads neither Qt nor torch.

Every module or package these tests name must exist: a rename fails here loudly instead of
leaving a check that silently looks at nothing.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
QT_MODULES = ("PySide6", "PyQt5", "PyQt6", "pyqtgraph", "liversynth_gui")


def _imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def _package_files(package: str) -> list[Path]:
    files = sorted((ROOT / package).rglob("*.py"))
    assert (ROOT / package / "__init__.py").is_file() and len(files) > 3, (
        f"{package}/ is missing or nearly empty: the layout rule below would check nothing"
    )
    return files


def _offenders(package: str, forbidden: tuple[str, ...]) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _package_files(package)
        for name in _imported_modules(path)
        if name.split(".")[0] in forbidden
    ]


@pytest.mark.parametrize("package", ["liversynth", "model_training"])
def test_package_never_imports_qt(package: str) -> None:
    assert not _offenders(package, QT_MODULES)


def test_gui_never_imports_the_trainer() -> None:
    assert not _offenders("liversynth_gui", ("model_training",))


def test_core_never_imports_the_trainer() -> None:
    assert not _offenders("liversynth", ("model_training",))


def test_the_import_scan_sees_imports_inside_functions(tmp_path: Path) -> None:
    # The GUI imports lazily inside functions; a scan of module-level imports only would miss it.
    path = tmp_path / "m.py"
    path.write_text("def f():\n    from model_training.train import train\n", encoding="utf-8")
    assert _imported_modules(path) == {"model_training.train"}


def test_import_linter_contracts_hold() -> None:
    exe = shutil.which("lint-imports", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("import-linter is not installed (pip install -e '.[test]')")
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr


#: Modules imported by the "no Qt, no torch" checks; each must exist (a rename fails loudly).
CORE_MODULES = ("liversynth.io", "liversynth.metrics", "liversynth.fillers.gan")


def _imports_in_fresh_python(modules: tuple[str, ...], forbidden: tuple[str, ...]) -> list[str]:
    code = (
        "import sys, importlib;"
        f"[importlib.import_module(m) for m in {list(modules)!r}];"
        f"print([m for m in sys.modules if m.split('.')[0] in {list(forbidden)!r}])"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr  # a listed module is missing
    return list(ast.literal_eval(result.stdout.strip().splitlines()[-1]))


def test_core_import_does_not_load_qt() -> None:
    assert _imports_in_fresh_python(CORE_MODULES, QT_MODULES[:4]) == []


def test_registry_import_loads_neither_torch_nor_qt() -> None:
    # Front ends (argparse choices, the GUI's combo) read the registry at start-up: it must be
    # cheap. Engines import torch only in their build functions.
    loaded = _imports_in_fresh_python(("liversynth.fillers.registry",), ("torch", *QT_MODULES))
    assert loaded == []
    # The probe itself works: the GAN module does load torch.
    assert "torch" in _imports_in_fresh_python(("liversynth.fillers.gan",), ("torch",))


def test_ruff_is_clean() -> None:
    exe = shutil.which("ruff", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("ruff is not installed (pip install -e '.[test]')")
    for args in (["check", "."], ["format", "--check", "."]):
        result = subprocess.run([exe, *args], cwd=ROOT, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_mypy_core_is_clean() -> None:
    exe = shutil.which("mypy", path=str(Path(sys.executable).parent))
    if exe is None:
        pytest.skip("mypy is not installed (pip install -e '.[test]')")
    # No arguments: mypy reads [tool.mypy] in pyproject.toml (files = ["liversynth"]).
    result = subprocess.run([exe], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
