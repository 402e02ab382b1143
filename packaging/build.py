"""Build the one-folder desktop app with PyInstaller, then smoke-test the frozen app.

Usage (from the repository root; needs ``pip install pyinstaller`` and, for the smoke test on
Linux, ``xvfb-run``)::

    python packaging/build.py                 # build into build/dist/LiverSynth, then smoke-test
    python packaging/build.py --skip-build    # smoke-test an existing build only

Steps: validate the AppStream metadata and the ``.desktop`` entry (when ``appstreamcli`` /
``desktop-file-validate`` are installed), run PyInstaller on ``packaging/liversynth.spec``, start
the frozen app under a virtual X display with ``--smoke-test`` (it opens the demo, whitens the
real tumour, waits for one GAN fill, prints it and exits 0), and write the figures (build time,
folder size, smoke-test output) to ``build/packaging-report.json``. Not run in CI: the build
takes minutes and the folder is about a gigabyte with PyTorch.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ROOT / "packaging"
APP_ID = "io.github.liversynth.LiverSynth"


def folder_size_bytes(folder: Path) -> int:
    """Total size of the regular files under ``folder`` (links not followed)."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def validate_metadata() -> dict[str, str]:
    """Run the freedesktop validators that are installed; ``{tool: "ok" | output | "absent"}``."""
    checks = {
        "appstreamcli": ["validate", "--no-net", str(PACKAGING / f"{APP_ID}.metainfo.xml")],
        "desktop-file-validate": [str(PACKAGING / f"{APP_ID}.desktop")],
    }
    results = {}
    for tool, args in checks.items():
        exe = shutil.which(tool)
        if exe is None:
            results[tool] = "absent"
            continue
        run = subprocess.run([exe, *args], capture_output=True, text=True)
        results[tool] = "ok" if run.returncode == 0 else (run.stdout + run.stderr).strip()
    return results


def build(dist: Path, work: Path) -> float:
    """Run PyInstaller on the spec; returns the seconds it took."""
    start = time.perf_counter()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            "--distpath",
            str(dist),
            "--workpath",
            str(work),
            str(PACKAGING / "liversynth.spec"),
        ],
        cwd=ROOT,
        check=True,
    )
    return time.perf_counter() - start


def smoke_test(app_dir: Path, timeout_s: int) -> tuple[int, str, float]:
    """Start the frozen app with ``--smoke-test`` (under ``xvfb-run`` on Linux).

    It runs with a throw-away HOME so it neither reads nor leaves settings and autosaves.

    Returns:
        ``(exit code, its output, seconds)``.
    """
    exe = app_dir / ("LiverSynth.exe" if os.name == "nt" else "LiverSynth")
    cmd = [str(exe), "--smoke-test"]
    if sys.platform.startswith("linux"):
        xvfb = shutil.which("xvfb-run")
        if xvfb is None:
            raise SystemExit("xvfb-run is needed for the smoke test (apt-get install xvfb)")
        cmd = [xvfb, "-a", "-s", "-screen 0 1366x768x24", *cmd]
    with tempfile.TemporaryDirectory(prefix="liversynth-smoke-") as home:
        env = {**os.environ, "HOME": home, "XDG_CONFIG_HOME": home, "XDG_CACHE_HOME": home}
        env.pop("QT_QPA_PLATFORM", None)  # the frozen app must start on the real (virtual) X
        start = time.perf_counter()
        try:
            run = subprocess.run(
                cmd, capture_output=True, text=True, env=env, timeout=timeout_s, cwd=home
            )
        except subprocess.TimeoutExpired as exc:
            out = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout
            return 124, f"timed out after {timeout_s} s\n{out or ''}", time.perf_counter() - start
    return run.returncode, (run.stdout + run.stderr).strip(), time.perf_counter() - start


def main(argv: list[str] | None = None) -> int:
    """Build, smoke-test, report; returns 0 when the frozen app passed its smoke test."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--out", type=Path, default=ROOT / "build", help="build folder (default build/)")
    p.add_argument("--skip-build", action="store_true", help="smoke-test an existing build")
    p.add_argument("--timeout", type=int, default=600, help="smoke-test limit, seconds")
    args = p.parse_args(argv)
    dist, work = args.out / "dist", args.out / "work"
    report: dict[str, object] = {"metadata": validate_metadata()}
    print(f"metadata checks: {report['metadata']}", flush=True)
    if not args.skip_build:
        report["build_s"] = round(build(dist, work), 1)
        print(f"built in {report['build_s']} s", flush=True)
    app_dir = dist / "LiverSynth"
    size = folder_size_bytes(app_dir)
    report["folder"] = str(app_dir)
    report["folder_size_mb"] = round(size / 2**20, 1)
    print(f"{app_dir}: {report['folder_size_mb']} MiB", flush=True)
    code, output, seconds = smoke_test(app_dir, args.timeout)
    report["smoke_test"] = {"exit_code": code, "seconds": round(seconds, 1), "output": output}
    print(f"smoke test: exit {code} after {seconds:.1f} s\n{output}", flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "packaging-report.json").write_text(json.dumps(report, indent=2) + "\n")
    return 0 if code == 0 and "smoke-test: OK" in output else 1


if __name__ == "__main__":
    sys.exit(main())
