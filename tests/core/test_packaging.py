"""An installed wheel works away from the repository: its configuration and its state have a place."""

from __future__ import annotations

import os
import site
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_an_installed_wheel_reads_its_own_config_and_keeps_state_out_of_the_package(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(wheels), str(REPO)],
                   check=True, capture_output=True)
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    packages = next(venv.glob("lib/python*/site-packages"))
    # The dependencies come from this environment's site-packages, read as a plain path: its .pth files (the
    # editable install's finder, which would import the repository's yuqing) are not run.
    (packages / "dependencies.pth").write_text("\n".join(site.getsitepackages()) + "\n", encoding="utf-8")
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "--no-deps",
                    str(next(wheels.glob("yuqing-*.whl")))], check=True, capture_output=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("YUQING_")}
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def yuqing(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(venv / "bin" / "yuqing"), *args], cwd=elsewhere, env=env, input=stdin,
                              capture_output=True, text=True, timeout=300)

    paths = dict(line.split(None, 1) for line in yuqing("paths").stdout.splitlines() if line.strip())
    assert paths["config"].strip() == str(packages / "yuqing" / "default_config")
    assert paths["state"].strip() == str(tmp_path / "state" / "yuqing")
    for name in ("settings", "sources", "taxonomy", "units", "policy"):
        assert (packages / "yuqing" / "default_config" / f"{name}.yaml").read_text(encoding="utf-8") == (
            REPO / "config" / f"{name}.yaml").read_text(encoding="utf-8")
    checked = yuqing("config", "check")
    assert checked.returncode == 0 and "configuration OK" in checked.stdout, checked.stdout + checked.stderr
    labelled = yuqing("predict", "--model", "topic", "--data", "-", stdin="id,text\n1,医院挂号排队三个小时\n")
    assert labelled.returncode == 0, labelled.stderr
    assert labelled.stdout.splitlines()[1].startswith("1,医院挂号排队三个小时,就医,")
    assert not list(packages.glob("var")) and not (packages / "yuqing" / "var").exists()
