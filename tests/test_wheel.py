"""The wheel works on its own: built, installed (not editable) into a fresh venv, and run
from a directory that is not the repository, it migrates, seeds, serves the admin
login page and renders SMS texts.

The venv borrows the installed dependencies (a ``.pth`` line naming this environment's
site-packages) so that nothing is downloaded: only Pufa itself comes from the wheel.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# What the wheel is built from; anything else in the repository must not be needed.
SOURCES = ("pyproject.toml", "setup.py", "README.md", "service", "jobs", "templates")
STEP_TIMEOUT = 120  # seconds; each step takes a few

pytestmark = pytest.mark.slow

# Runs in the installed venv, from the scratch directory; prints what it found as JSON.
CHECK = """
import json, sys
from pathlib import Path
import time_machine
import service
from service.sms.texts import SAMPLE_CONTEXT, TEMPLATES, render_sms
from service.wsgi import app

client = app.test_client()
login = client.get("/admin/login")
css = client.get("/static/pufa.css")
texts = {p.name.removesuffix(".txt.j2"): render_sms(p.name.removesuffix(".txt.j2"),
         SAMPLE_CONTEXT) for p in sorted(TEMPLATES.glob("*.txt.j2"))}
# A day the demo's lecture rota covers, so the preview has reminders to show.
with time_machine.travel("2026-11-30T00:00:00Z", tick=False):
    preview = client.get("/api/v1/preview?days=7",
                         headers={"Authorization": "Bearer " + sys.argv[1]})
print(json.dumps({
    "service": service.__file__,
    "templates": str(TEMPLATES),
    "login": [login.status_code, login.get_data(as_text=True)],
    "css": css.status_code,
    "texts": texts,
    "preview": [preview.status_code, preview.get_json()],
}))
"""


def run(*argv: str | Path, cwd: Path, env: dict[str, str]) -> str:
    done = subprocess.run(
        [str(a) for a in argv],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, f"{argv} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, dict[str, str]]:
    """A venv with the wheel installed, a scratch directory, and the environment to run
    ``pufa`` in: nothing of the test run's own settings, an instance dir of its own."""
    tmp = tmp_path_factory.mktemp("wheel")
    source = tmp / "source"
    source.mkdir()
    for name in SOURCES:
        if (ROOT / name).is_dir():
            shutil.copytree(
                ROOT / name, source / name, ignore=shutil.ignore_patterns("__pycache__")
            )
        else:
            shutil.copy2(ROOT / name, source / name)
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("PUFA_", "PYTHON", "PIP_", "TWILIO_"))
        and name not in ("DATABASE_URL", "SECRET_KEY", "SMS_BACKEND", "PUBLIC_BASE_URL")
    }
    pip = (sys.executable, "-m", "pip", "--disable-pip-version-check", "--no-input")
    # No index and no build isolation: the build uses this environment's setuptools.
    run(
        *pip,
        "wheel",
        "--no-deps",
        "--no-index",
        "--no-build-isolation",
        "-q",
        "-w",
        tmp / "dist",
        source,
        cwd=tmp,
        env=env,
    )
    [wheel] = (tmp / "dist").glob("pufa-*.whl")
    venv = tmp / "venv"
    run(sys.executable, "-m", "venv", "--without-pip", venv, cwd=tmp, env=env)
    python = venv / "bin" / "python"
    run(
        *pip,
        "--python",
        python,
        "install",
        "--no-deps",
        "--no-index",
        "-q",
        wheel,
        cwd=tmp,
        env=env,
    )
    site = run(
        python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])", cwd=tmp, env=env
    ).strip()
    ours = sysconfig.get_paths()
    (Path(site) / "borrowed_dependencies.pth").write_text(
        "\n".join(dict.fromkeys([ours["purelib"], ours["platlib"]])) + "\n"
    )
    elsewhere = tmp / "elsewhere"
    elsewhere.mkdir()
    env["PUFA_INSTANCE_DIR"] = str(elsewhere / "instance")
    return venv, elsewhere, env


def test_the_installed_wheel_migrates_seeds_serves_the_login_and_renders_sms(
    installed: tuple[Path, Path, dict[str, str]],
) -> None:
    venv, elsewhere, env = installed
    pufa = venv / "bin" / "pufa"
    assert "database at migration" in run(pufa, "db", "upgrade", cwd=elsewhere, env=env)
    assert "created" in run(pufa, "seed", "--demo", cwd=elsewhere, env=env)
    token = run(
        pufa, "token", "create", "--role", "viewer", "--name", "打包检查", cwd=elsewhere, env=env
    ).strip()
    found = json.loads(run(venv / "bin" / "python", "-c", CHECK, token, cwd=elsewhere, env=env))

    site_packages = Path(found["service"]).parent.parent
    assert site_packages.is_relative_to(venv), "service was not imported from the wheel"
    assert Path(found["templates"]).is_relative_to(site_packages)
    assert (elsewhere / "instance" / "pufa.sqlite3").is_file()
    status, page = found["login"]
    assert status == 200 and "管理员登录" in page
    assert found["css"] == 200
    assert set(found["texts"]) >= {"test_message", "lecture_audience", "lecture_speaker"}
    assert all(found["texts"].values())
    status, preview = found["preview"]
    assert status == 200, preview
    assert preview["items"] and all(item["body"] for item in preview["items"])
