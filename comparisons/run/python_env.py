"""Prepare another interpreter to run cells: `make python-env PYTHON=/path/to/python`.

`make compare PYTHON=...` runs every cell under another Python (another CPython version,
a free-threaded build) while the harness stays in `.venv`. That interpreter needs the
project and its dependencies in an environment of its own: this module creates
`.venvs/<implementation>-<version>[t]` with it, installs the project (editable, so the
cells run this checkout's code) under `constraints.txt`, and prints the environment's
interpreter. When the pinned set cannot install there (a package without a build for
that interpreter, such as Ray on a free-threaded build), it installs each dependency on
its own and says which are missing; the cells of backends that need them are then
recorded as skipped, with the package named, rather than failing the run.

Usage: python -m comparisons.run.python_env PYTHON   (prints the environment's python)
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

from comparisons.measure.environment import PROJECT_ROOT

VENVS = PROJECT_ROOT / ".venvs"
DESCRIBE = (
    "import json, sys, sysconfig; print(json.dumps({'name': sys.implementation.name, "
    "'version': '%d.%d' % sys.version_info[:2], 'full': sys.version.split()[0], "
    "'free_threaded': bool(sysconfig.get_config_var('Py_GIL_DISABLED'))}))"
)


class PythonEnvError(RuntimeError):
    """The interpreter cannot be used (a user-facing, one-line problem)."""


def describe_interpreter(python: str) -> dict[str, object]:
    try:
        done = subprocess.run([python, "-c", DESCRIBE], capture_output=True, text=True, timeout=60)
    except OSError as exc:
        raise PythonEnvError(f"PYTHON={python} cannot be run: {exc.strerror}") from None
    if done.returncode != 0:
        raise PythonEnvError(f"PYTHON={python} is not a working Python interpreter")
    return json.loads(done.stdout)


def environment_dir(python: str) -> Path:
    info = describe_interpreter(python)
    suffix = "t" if info["free_threaded"] else ""
    return VENVS / f"{info['name']}-{info['version']}{suffix}"


def _pip(env_python: Path, *args: str) -> subprocess.CompletedProcess:
    # Bytecode is compiled afterwards on every core (`_compile`); pip does it on one.
    return subprocess.run(
        [str(env_python), "-m", "pip", "install", "--quiet", "--no-compile", *args],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
    )


def prepare(python: str) -> tuple[Path, list[str]]:
    """Create or refresh the environment for `python`; return its interpreter and the
    dependencies that could not be installed there."""
    target = environment_dir(python)
    env_python = target / "bin" / "python"
    stamp = target / ".installed"
    inputs = [PROJECT_ROOT / "pyproject.toml", PROJECT_ROOT / "constraints.txt"]
    if stamp.exists() and all(stamp.stat().st_mtime >= p.stat().st_mtime for p in inputs):
        return env_python, json.loads(stamp.read_text() or "[]")
    if not env_python.exists():
        made = subprocess.run([python, "-m", "venv", str(target)], capture_output=True, text=True)
        if made.returncode != 0:
            raise PythonEnvError(f"cannot create a venv with {python}: {made.stderr.strip()}")
    _pip(env_python, "--upgrade", "pip>=23")
    missing: list[str] = []
    if _pip(env_python, "-c", "constraints.txt", "-e", ".").returncode != 0:
        # Some pinned package has no build here: install what can be, one by one.
        dependencies = tomllib.loads((PROJECT_ROOT / "pyproject.toml").read_text())["project"][
            "dependencies"
        ]
        for requirement in dependencies:
            if _pip(env_python, requirement).returncode != 0:
                missing.append(requirement)
        if _pip(env_python, "--no-deps", "-e", ".").returncode != 0:
            raise PythonEnvError(f"cannot install the project into {target}")
    _compile(env_python)
    stamp.write_text(json.dumps(missing))
    return env_python, missing


def _compile(env_python: Path) -> None:
    """Byte-compile what was installed, in parallel, as pip would have done serially:
    so no cell's first import pays for it. Files that do not compile (a package's
    test data) are left as pip leaves them."""
    purelib = subprocess.run(
        [str(env_python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [str(env_python), "-m", "compileall", "-q", "-j", "0", purelib], capture_output=True
    )


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m comparisons.run.python_env PYTHON", file=sys.stderr)
        return 2
    try:
        env_python, missing = prepare(args[0])
    except PythonEnvError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for requirement in missing:
        print(
            f"warning: {requirement} does not install under {args[0]}; "
            "cells of the backends that need it will be skipped",
            file=sys.stderr,
        )
    print(env_python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
