"""Serve each online sample with the real Azure ML inference server and smoke-test it (`make smoke`).

    .venv/bin/python -m model_assets.smoke_local [--model NAME ...] [--keep-logs]

1. Makes the model's own serving venv, ``.venv-serve-<hash>`` (apart from ``.venv``:
   azureml-inference-server-http 1.5.1 conflicts with azure-ai-ml), from the pip part of the
   environment spec its deployment names, constrained by ``model_assets/serve-requirements.txt``
   (fully pinned); reused as long as its stamp matches. The spec's conda part and the MCR base
   image cannot be reached here: this machine's Python and OS libraries stand in for them.
2. For each online model (default: every folder with ``smoke/smoke.json`` and
   ``build_artifact.py``, i.e. diabetes and fraud_rules) builds the model folder locally with
   ``build_artifact.py``.
3. Starts ``azmlinfsrv --entry_script score.py --model_dir <built> --port <free port>`` with
   ``AML_APP_ROOT=<model>/src`` (as a deployment's ``code_configuration`` does),
   bound to 127.0.0.1 only (the server hard-codes 0.0.0.0; a two-line launcher sets its host
   constant before handing over to the server's own ``run()``), waits (bounded) for its
   liveness route, runs :mod:`model_assets.smoke_test` against ``/score`` and always stops
   the server, whatever happened.

Exit status: 0 every model passed, 1 a smoke check failed or a server did not come up,
2 bad arguments.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from infra.errors import EXIT_CONFIG, ConfigError
from model_assets import smoke_test

MODELS_DIR = Path(__file__).resolve().parent
PROJECT_DIR = MODELS_DIR.parent
REQUIREMENTS = MODELS_DIR / "serve-requirements.txt"
SERVER_PACKAGE = "azureml-inference-server-http"
HOST = "127.0.0.1"
READY_TIMEOUT_S = 90.0
STOP_TIMEOUT_S = 10.0
BUILD_TIMEOUT_S = 300.0
INSTALL_TIMEOUT_S = 900.0
# Runs inside a serving venv: the inference server's own entry point, with its host constant
# (0.0.0.0 in 1.5.1, not configurable) set to loopback first.
LAUNCHER = (
    "import sys\n"
    "from azureml_inference_server_http import amlserver\n"
    f"amlserver.DEFAULT_HOST = {HOST!r}\n"
    "sys.argv[0] = 'azmlinfsrv'\n"
    "amlserver.run()\n"
)


def log(message: str) -> None:
    """Progress on stdout, flushed so CI logs interleave correctly."""
    print(f"[smoke_local] {message}", flush=True)


def requirements_hash(path: Path = REQUIREMENTS) -> str:
    """The stamp value: a hash of the requirements file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def hashed_pins(path: Path = REQUIREMENTS) -> dict[str, tuple[str, str, list[str]]]:
    """normalised name → (name, version, sha256 hashes) of a hash-pinned requirements file."""
    pins: dict[str, tuple[str, str, list[str]]] = {}
    current = ""
    for line in path.read_text(encoding="utf-8").splitlines():
        stripped = line.strip().rstrip("\\").strip()
        if not stripped or stripped.startswith("#"):
            continue
        hashed = re.fullmatch(r"--hash=sha256:([0-9a-f]{64})", stripped)
        if hashed and current:
            pins[current][2].append(hashed.group(1))
            continue
        pinned = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)", stripped)
        if pinned is None:
            raise ConfigError(
                f"'{stripped}' is not 'name==version' or '--hash=sha256:<64 hex>'", file=str(path)
            )
        current = _normalise(pinned.group(1))
        pins[current] = (pinned.group(1), pinned.group(2), [])
    return pins


def hashed_requirements(
    resolved: Sequence[tuple[str, str]], pins: dict[str, tuple[str, str, list[str]]]
) -> str:
    """The ``--require-hashes`` requirements text for exactly the ``(name, version)`` pip resolved;
    ConfigError when one is not pinned (with a hash) at that version."""
    lines: list[str] = []
    for name, version in sorted(resolved, key=lambda nv: _normalise(nv[0])):
        pin = pins.get(_normalise(name))
        if pin is None or pin[1] != version or not pin[2]:
            raise ConfigError(
                f"{name}=={version} is resolved for a serving venv but not pinned with a hash in "
                f"{REQUIREMENTS.name} (pinned: {pin[1] if pin else 'nothing'}); add it",
                file=str(REQUIREMENTS),
            )
        lines.append(f"{pin[0]}=={pin[1]} " + " ".join(f"--hash=sha256:{h}" for h in pin[2]))
    return "\n".join(lines) + "\n"


def _resolve(python: Path, venv: Path, requirements: Path, constraints: Path) -> list[tuple[str, str]]:
    """What pip would install for ``requirements`` under the (hash-free) pins of ``constraints``."""
    plain = venv / "constraints.txt"
    plain.write_text(
        "".join(f"{name}=={version}\n" for name, version, _ in hashed_pins(constraints).values()),
        encoding="utf-8",
    )
    report = venv / "resolve.json"
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--dry-run",
            "--ignore-installed",
            "--report",
            str(report),
            "-r",
            str(requirements),
            "-c",
            str(plain),
        ],
        check=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    items = json.loads(report.read_text(encoding="utf-8")).get("install", [])
    return [(str(i["metadata"]["name"]), str(i["metadata"]["version"])) for i in items]


def ensure_serve_venv(
    venv: Path,
    requirements: Path = REQUIREMENTS,
    *,
    constraints: Path | None = None,
    digest: str | None = None,
) -> Path:
    """Create or reuse the serving venv; returns its python. Idempotent."""
    python = venv / "bin" / "python"
    stamp = venv / ".installed"
    wanted = digest or requirements_hash(requirements)
    if python.is_file() and stamp.is_file() and stamp.read_text(encoding="utf-8").strip() == wanted:
        log(f"reusing {venv}")
        return python
    started = time.monotonic()
    if not python.is_file():
        log(f"creating {venv}")
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=120)
    log(f"installing {requirements.name} into {venv}")
    install = requirements
    if constraints is not None:
        # pip ignores hashes in a constraints file: resolve first, then install exactly the resolved
        # set, each with its hash from the constraints.
        install = venv / "hashed-requirements.txt"
        install.write_text(
            hashed_requirements(_resolve(python, venv, requirements, constraints), hashed_pins(constraints)),
            encoding="utf-8",
        )
    subprocess.run(
        [
            str(python),
            "-m",
            "pip",
            "install",
            "-q",
            "--disable-pip-version-check",
            "--require-hashes",
            "--no-deps",
            "-r",
            str(install),
        ],
        check=True,
        timeout=INSTALL_TIMEOUT_S,
    )
    stamp.write_text(wanted + "\n", encoding="utf-8")
    log(f"{venv} ready in {time.monotonic() - started:.1f} s")
    return python


def environment_spec(model: str, models_dir: Path = MODELS_DIR) -> Path:
    """The model's serving environment spec (the conda file its online deployment names)."""
    deployment = models_dir / model / "azureml" / "deployment.yml"
    if deployment.is_file():
        data = YAML(typ="safe").load(deployment.read_text(encoding="utf-8")) or {}
        environment = data.get("environment") if isinstance(data, dict) else None
        conda = environment.get("conda_file") if isinstance(environment, dict) else None
        if isinstance(conda, str):
            return (deployment.parent / conda).resolve()
    return models_dir / model / "environment" / "serve.yml"


def pip_requirements(spec: Path) -> list[str]:
    """The pip-installable part of a conda environment spec (``dependencies: - pip: [...]``).

    Conda packages (python, pip, channels) and the deployment's base image are not installable
    here; ConfigError names the file when the spec has no pip part or does not parse.
    """
    try:
        data = YAML(typ="safe").load(spec.read_text(encoding="utf-8"))
    except (OSError, YAMLError) as exc:
        raise ConfigError(f"cannot read the environment spec: {exc}", file=str(spec)) from None
    deps = data.get("dependencies") if isinstance(data, dict) else None
    for item in deps or []:
        if isinstance(item, dict) and isinstance(item.get("pip"), list):
            requirements = [str(r).strip() for r in item["pip"] if str(r).strip()]
            if requirements:
                return requirements
    raise ConfigError(
        "has no pip requirements under dependencies: - pip:", file=str(spec), key="dependencies"
    )


def model_requirements(model: str, models_dir: Path = MODELS_DIR) -> list[str]:
    """What the model's local serving venv installs: its spec's pip part, plus the inference
    server when the spec does not list it (Azure ML's inference base images ship it)."""
    requirements = pip_requirements(environment_spec(model, models_dir))
    names = {re.split(r"[<>=!~\[ ;]", r, maxsplit=1)[0].lower().replace("_", "-") for r in requirements}
    if SERVER_PACKAGE not in names:
        requirements.append(SERVER_PACKAGE)
    return requirements


def serve_python(model: str, venvs_dir: Path = PROJECT_DIR, models_dir: Path = MODELS_DIR) -> Path:
    """The python of the model's own serving venv (built from its environment spec), created
    or reused: ``<venvs_dir>/.venv-serve-<hash>``, one per distinct requirement set.

    ``serve-requirements.txt`` is used as the constraints file, so every transitive dependency
    gets the pinned version the project tested.
    """
    requirements = model_requirements(model, models_dir)
    text = "\n".join(requirements) + "\n"
    digest = hashlib.sha256((text + REQUIREMENTS.read_text(encoding="utf-8")).encode()).hexdigest()
    venv = venvs_dir / f".venv-serve-{digest[:12]}"
    venv.mkdir(parents=True, exist_ok=True)
    wanted = venv / "requirements.txt"
    if not wanted.is_file() or wanted.read_text(encoding="utf-8") != text:
        wanted.write_text(text, encoding="utf-8")
    return ensure_serve_venv(venv, wanted, constraints=REQUIREMENTS, digest=digest)


def online_models(models_dir: Path = MODELS_DIR) -> list[str]:
    """Every model folder that can be served and smoke-tested locally."""
    return sorted(
        p.name
        for p in models_dir.iterdir()
        if (p / "smoke" / "smoke.json").is_file()
        and (p / "build_artifact.py").is_file()
        and (p / "src" / "score.py").is_file()
    )


def free_port() -> int:
    """A free TCP port on loopback."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def build_model(model: str, output: Path, models_dir: Path = MODELS_DIR) -> Path:
    """Run the model's ``build_artifact.py`` (in this interpreter's venv); returns the model folder."""
    result = subprocess.run(
        [sys.executable, str(models_dir / model / "build_artifact.py"), "--output", str(output)],
        check=True,
        timeout=BUILD_TIMEOUT_S,
        capture_output=True,
        text=True,
    )
    return Path(result.stdout.strip().splitlines()[-1])


def wait_ready(process: subprocess.Popen[bytes], port: int, timeout: float = READY_TIMEOUT_S) -> None:
    """Poll the liveness route until it answers 200; RuntimeError if the server dies or times out."""
    deadline = time.monotonic() + timeout
    url = f"http://{HOST}:{port}/"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"the inference server exited with status {process.returncode} before it was ready"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
            pass
        time.sleep(0.5)
    raise RuntimeError(f"the inference server was not ready on {url} after {timeout:.0f} s")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop the server and its workers (its own process group), escalating after a timeout."""
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=STOP_TIMEOUT_S)
    except ProcessLookupError:
        process.wait(timeout=STOP_TIMEOUT_S)


@contextmanager
def serving(python: Path, entry_script: Path, model_dir: Path, log_path: Path) -> Iterator[int]:
    """Run the inference server for the duration of the block; yields its port."""
    port = free_port()
    env = dict(os.environ)
    env.pop("AZUREML_MODEL_DIR", None)
    # gunicorn 27 would otherwise open a control socket under $HOME; the server needs none here.
    env["GUNICORN_CMD_ARGS"] = "--no-control-socket"
    # As in a deployment: the code folder is the app root (on sys.path), the script relative to it.
    env["AML_APP_ROOT"] = str(entry_script.parent)
    command = [
        str(python),
        "-c",
        LAUNCHER,
        "--entry_script",
        entry_script.name,
        "--model_dir",
        str(model_dir),
        "--port",
        str(port),
    ]
    with log_path.open("wb") as server_log:
        process = subprocess.Popen(
            command,
            stdout=server_log,
            stderr=subprocess.STDOUT,
            cwd=entry_script.parent,
            env=env,
            start_new_session=True,
        )
        try:
            wait_ready(process, port)
            yield port
        finally:
            stop(process)


def smoke_model(python: Path, model: str, workdir: Path, models_dir: Path = MODELS_DIR) -> bool:
    """Build, serve and smoke-test one model; True when every check passed."""
    started = time.monotonic()
    try:
        model_dir = build_model(model, workdir / "build", models_dir)
    except subprocess.CalledProcessError as exc:
        log(
            f"FAIL {model}: build_artifact.py exited with {exc.returncode}:\n{(exc.stderr or '').strip()[-3000:]}"
        )
        return False
    spec = smoke_test.load_spec(model, models_dir)
    log_path = workdir / "server.log"
    try:
        with serving(python, models_dir / model / "src" / "score.py", model_dir, log_path) as port:
            checks = smoke_test.run_smoke(
                f"http://{HOST}:{port}/score", spec, timeout=10, attempts=3, delay=1
            )
    except RuntimeError as exc:
        log(f"FAIL {model}: {exc}; server log:\n{_tail(log_path)}")
        return False
    for check in checks:
        log(f"{'PASS' if check.ok else 'FAIL'} {model}: {check.name}: {check.detail}")
    ok = all(check.ok for check in checks)
    if not ok:
        log(f"server log of {model}:\n{_tail(log_path)}")
    log(f"{model}: {'passed' if ok else 'FAILED'} ({len(checks)} checks, {time.monotonic() - started:.1f} s)")
    return ok


def _tail(path: Path, lines: int = 40) -> str:
    if not path.is_file():
        return "(no log)"
    return "\n".join(path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])


def main(argv: Sequence[str] | None = None) -> int:
    """Command line; returns the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m model_assets.smoke_local", description=__doc__.splitlines()[0]
    )
    parser.add_argument(
        "--model", action="append", default=None, help="model to serve (repeatable; default: all)"
    )
    parser.add_argument(
        "--venvs-dir",
        type=Path,
        default=PROJECT_DIR,
        help="where the per-model serving venvs (.venv-serve-<hash>) live",
    )
    parser.add_argument("--keep-logs", type=Path, default=None, help="copy each server log into this folder")
    args = parser.parse_args(argv)
    started = time.monotonic()
    available = online_models()
    models = args.model or available
    unknown = [m for m in models if m not in available]
    if unknown:
        print(
            f"error: {ConfigError(f'{unknown} cannot be served locally; choose from {available}', key='--model')}",
            file=sys.stderr,
        )
        return EXIT_CONFIG
    results: dict[str, bool] = {}
    for model in models:
        try:
            python = serve_python(model, args.venvs_dir)
        except ConfigError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_CONFIG
        with tempfile.TemporaryDirectory(prefix=f"smoke-{model}-") as tmp:
            results[model] = smoke_model(python, model, Path(tmp))
            if args.keep_logs:
                args.keep_logs.mkdir(parents=True, exist_ok=True)
                if (Path(tmp) / "server.log").is_file():
                    shutil.copy(Path(tmp) / "server.log", args.keep_logs / f"{model}.log")
    failed = sorted(m for m, ok in results.items() if not ok)
    summary = f"{len(results) - len(failed)} passed, {len(failed)} failed"
    log(f"{summary} in {time.monotonic() - started:.1f} s" + (f": {', '.join(failed)}" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
