"""The layers of DESIGN §2, checked by import-linter with the contracts of the root
pyproject.toml: the core never imports a plugin, plugins never import each other and use the
public API only."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def contract_names() -> list[str]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        return [contract["name"]
                for contract in tomllib.load(file)["tool"]["importlinter"]["contracts"]]


def test_every_import_contract_is_kept():
    lint_imports = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, check=False)

    report = result.stdout + result.stderr
    assert result.returncode == 0, report
    names = contract_names()
    assert len(names) >= 3
    for name in names:
        assert f"{name} KEPT" in report, report
    assert f"Contracts: {len(names)} kept, 0 broken." in report
