"""Settings: precedence, the "came from" report, and one-line errors from `voicecoach config`."""

import json
import os
import subprocess
import sys
from pathlib import Path
from subprocess import PIPE

import pytest

from voicecoach.settings import FIELDS, Settings, config_path, load_settings

SRC = Path(__file__).resolve().parents[1] / "src"
# `python -m voicecoach`, also before cli/__init__.py lists the config and service modules.
RUNNER = """
import voicecoach.cli as cli
from voicecoach.cli import config, service
cli.MODULES = (*(m for m in cli.MODULES if m not in (config, service)), config, service)
raise SystemExit(cli.main())
"""


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in [n for n in os.environ if n.startswith("VOICECOACH_")]:
        monkeypatch.delenv(name)
    monkeypatch.delenv("XDG_CONFIG_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))


def start(config: Path, *args: str, **env: str) -> subprocess.Popen[str]:
    """`voicecoach ARGS` with only this config file and `env` as settings."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("VOICECOACH_")}
    environ.pop("XDG_CONFIG_HOME", None)
    environ.update(VOICECOACH_CONFIG=str(config), HOME=str(config.parent), **env)
    environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(SRC), os.environ.get("PYTHONPATH")]))
    command = [sys.executable, "-c", RUNNER, *args]
    return subprocess.Popen(command, env=environ, stdout=PIPE, stderr=PIPE, text=True)


def finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=60)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def cli(config: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return finish(start(config, *args, **env))


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    settings, sources = load_settings(tmp_path / "none.yaml")
    assert settings == Settings()
    assert settings.routine == "five-strengthening"
    assert sources == dict.fromkeys(FIELDS, "default")


def test_precedence_default_file_env_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(tmp_path / "c.yaml", "voice: piper\nrate: 120\nvolume: 0.4\ntempo: 0.8\n")
    monkeypatch.setenv("VOICECOACH_RATE", "140")
    monkeypatch.setenv("VOICECOACH_VOLUME", "0.6")
    monkeypatch.setenv("VOICECOACH_CHIME", "")  # empty: as if unset
    settings, sources = load_settings(path, {"volume": 0.9, "tempo": None})
    assert settings.voice == "piper"
    assert (settings.rate, settings.volume, settings.tempo) == (140, 0.9, 0.8)
    assert settings.engine == "auto"
    assert sources["engine"] == "default"
    assert sources["chime"] == "default"
    assert sources["voice"] == f"config file {path}"
    assert sources["tempo"] == f"config file {path}"
    assert sources["rate"] == "environment VOICECOACH_RATE"
    assert sources["volume"] == "command line"


def test_environment_values_are_parsed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOICECOACH_PROGRESSION", "no")
    monkeypatch.setenv("VOICECOACH_INPUT_DEVICE", "USB")
    monkeypatch.setenv("VOICECOACH_DATA_DIR", "~/coach")
    settings, _ = load_settings(tmp_path / "none.yaml")
    assert settings.progression is False
    assert settings.input_device == "USB"
    assert settings.data_dir == Path.home() / "coach"


def test_devices_by_number_or_name(tmp_path: Path) -> None:
    path = write(tmp_path / "c.yaml", "input_device: 2\noutput_device: USB Audio\n")
    settings, _ = load_settings(path)
    assert (settings.input_device, settings.output_device) == (2, "USB Audio")


def test_unknown_override_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="speed"):
        load_settings(tmp_path / "none.yaml", {"speed": 2.0})


def test_config_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg"))
    assert config_path() == tmp_path / "xdg" / "voicecoach" / "config.yaml"
    monkeypatch.setenv("VOICECOACH_CONFIG", str(tmp_path / "mine.yaml"))
    assert config_path() == tmp_path / "mine.yaml"


def test_every_field_is_described() -> None:
    assert all(Settings.model_fields[f].description for f in FIELDS)


BAD_FILES = [
    ("rate: fast\n", ":1: rate: input should be a valid integer"),
    ("voice: piper\nrate: 500\n", ":2: rate: input should be less than or equal to 300"),
    ("volume: 1.5\n", ":1: volume: input should be less than or equal to 1"),
    ("volume: yes\n", ":1: volume: expected a number, not true"),
    ("tempo: 0.1\n", ":1: tempo: input should be greater than or equal to 0.5"),
    ("engine: whisper\n", ":1: engine: input should be 'auto', 'pocketsphinx' or 'vosk'"),
    ("voice: festival\n", ":1: voice: expected espeak, espeak:VOICENAME"),
    ("chime: maybe\n", ":1: chime: input should be a valid boolean"),
    ("input_device: [1, 2]\n", ":1: input_device: expected a device name or number"),
    ("rate: 150\nvolum: 0.5\n", ":2: volum: unknown setting (did you mean 'volume'?)"),
    ("voice: [espeak\n", ":2: invalid YAML"),
    ("- voice\n", ": expected settings as `name: value` lines, found a list"),
]


@pytest.fixture(scope="module")
def bad_file_runs(
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, tuple[Path, subprocess.CompletedProcess[str]]]:
    """`voicecoach config` on each bad file, all at once (each run mostly waits for imports)."""
    paths = {text: tmp_path_factory.mktemp("bad") / "config.yaml" for text, _ in BAD_FILES}
    running = {text: start(write(path, text), "config") for text, path in paths.items()}
    return {text: (paths[text], finish(process)) for text, process in running.items()}


@pytest.mark.parametrize(("text", "expected"), BAD_FILES)
def test_bad_config_file_is_one_line(
    bad_file_runs: dict[str, tuple[Path, subprocess.CompletedProcess[str]]],
    text: str,
    expected: str,
) -> None:
    path, done = bad_file_runs[text]
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.splitlines() == [done.stderr.strip()]
    assert done.stderr.startswith(f"voicecoach: {path}{expected}")


def test_bad_file_value_is_reported_even_when_overridden(tmp_path: Path) -> None:
    path = write(tmp_path / "config.yaml", "rate: 5000\n")
    done = cli(path, "config", VOICECOACH_RATE="150")
    assert (done.returncode, done.stderr.count("\n")) == (2, 1)
    assert f"{path}:1: rate:" in done.stderr


def test_bad_environment_value_names_the_variable(tmp_path: Path) -> None:
    done = cli(tmp_path / "none.yaml", "config", VOICECOACH_VOLUME="loud")
    assert done.returncode == 2
    assert done.stderr.startswith("voicecoach: environment VOICECOACH_VOLUME: volume: ")
    assert done.stderr.count("\n") == 1


def test_unreadable_config_file_is_one_line(tmp_path: Path) -> None:
    folder = tmp_path / "config.yaml"
    folder.mkdir()
    done = cli(folder, "config")
    assert done.returncode == 2
    assert done.stderr == f"voicecoach: {folder}: cannot read the config file (Is a directory)\n"


def test_config_shows_each_source(tmp_path: Path) -> None:
    path = write(tmp_path / "config.yaml", "voice: espeak:en-gb\n")
    done = cli(path, "config", VOICECOACH_RATE="150")
    assert done.returncode == 0, done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[3:]}
    assert rows["voice"][1:4] == ["espeak:en-gb", "config", "file"]
    assert rows["rate"][1:4] == ["150", "environment", "VOICECOACH_RATE"]
    assert rows["engine"][1:3] == ["auto", "default"]
    assert set(rows) == set(FIELDS)


def test_config_json(tmp_path: Path) -> None:
    path = write(tmp_path / "config.yaml", "data_dir: /srv/coach\n")
    done = cli(path, "config", "--json")
    report = json.loads(done.stdout)
    assert report["config_file"] == str(path)
    assert report["settings"]["data_dir"] == {
        "value": "/srv/coach",
        "source": f"config file {path}",
        "env": "VOICECOACH_DATA_DIR",
        "description": Settings.model_fields["data_dir"].description,
    }


def test_config_path_command(tmp_path: Path) -> None:
    done = cli(tmp_path / "here.yaml", "config", "path")
    assert done.stdout == f"{tmp_path / 'here.yaml'}\n"


def test_config_init_writes_defaults_and_never_overwrites(tmp_path: Path) -> None:
    path = tmp_path / "new" / "config.yaml"
    assert cli(path, "config", "init").returncode == 0
    text = path.read_text()
    assert all(f"# {field}:" in text for field in FIELDS)
    settings, sources = load_settings(path)
    assert settings == Settings()
    assert set(sources.values()) == {"default"}

    write(path, "voice: piper\n")
    done = cli(path, "config", "init")
    assert done.returncode == 0
    assert "already exists" in done.stdout
    assert path.read_text() == "voice: piper\n"


def test_config_init_template_is_valid_when_uncommented(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    assert cli(path, "config", "init").returncode == 0
    lines = path.read_text().splitlines()
    uncommented = [line[2:] for line in lines if line.split(":")[0][2:] in FIELDS]
    settings, sources = load_settings(write(path, "\n".join(uncommented) + "\n"))
    assert settings == Settings()
    assert set(sources.values()) == {f"config file {path}"}
