"""Finding, downloading and installing the Vosk model, with real folders and a real HTTP server
on 127.0.0.1 (no other network)."""

import argparse
import contextlib
import hashlib
import io
import os
import socket
import threading
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from voicecoach.cli import model as model_cli
from voicecoach.errors import UserError
from voicecoach.speech.vosk import archive
from voicecoach.speech.vosk import model as vosk_model
from voicecoach.speech.vosk.model import (
    DYNAMIC_GRAPH,
    REQUIRED_FILES,
    STATIC_GRAPH,
    ModelArchive,
    download_model,
    find_model,
    install_model,
    is_model_dir,
    missing_files,
    model_status,
    supports_grammar,
)

# ---- helpers ----------------------------------------------------------------------------------


def model_files(grammar: bool = True) -> dict[str, bytes]:
    names = REQUIRED_FILES + (DYNAMIC_GRAPH if grammar else STATIC_GRAPH)
    return {name: f"fake {name}\n".encode() for name in names} | {"README": b"test model\n"}


def make_model(folder: Path, grammar: bool = True) -> Path:
    for name, data in model_files(grammar).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(data)
    return folder


def zip_bytes(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive_file:
        for name, data in entries.items():
            archive_file.writestr(name, data)
    return buffer.getvalue()


def model_zip(root: str = "vosk-model-test-0.1") -> bytes:
    return zip_bytes({f"{root}/{name}": data for name, data in model_files().items()})


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def contents(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir()) if folder.exists() else []


@dataclass
class Places:
    repo: Path
    user: Path
    tmp: Path


@pytest.fixture
def places(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Places:
    """The repository's models/vosk and the user data dir moved into tmp_path."""
    repo = tmp_path / "repo" / "models" / "vosk"
    monkeypatch.setattr(vosk_model, "REPO_MODELS_DIR", repo)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))  # platformdirs follows it
    monkeypatch.delenv(vosk_model.ENV_VAR, raising=False)
    return Places(repo=repo, user=tmp_path / "xdg" / "voicecoach" / "models" / "vosk", tmp=tmp_path)


# ---- a real HTTP server on 127.0.0.1 ---------------------------------------------------------


@dataclass
class Route:
    body: bytes
    announce: int | None = None  # Content-Length to claim (default: the body's)
    send: int | None = None  # bytes actually sent before closing (default: all)


@dataclass
class Server:
    port: int
    routes: dict[str, Route] = field(default_factory=dict)
    requests: list[str] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def archive(
        self, path: str, data: bytes, name: str = "vosk-model-test-0.1", **route: int
    ) -> ModelArchive:
        self.routes[path] = Route(data, **route)
        return ModelArchive(name, self.url(path), len(data), sha256(data))


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        state: Server = self.server.state  # type: ignore[attr-defined]
        state.requests.append(self.path)
        route = state.routes.get(self.path)
        if route is None:
            self.send_error(404, "Not Found")
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/zip")
        self.send_header("Content-Length", str(route.announce or len(route.body)))
        self.end_headers()
        self.wfile.write(route.body[: route.send])
        self.close_connection = True

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def server(monkeypatch: pytest.MonkeyPatch) -> Iterator[Server]:
    for name in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state = Server(port=httpd.server_address[1])
    httpd.state = state  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield state
    httpd.shutdown()
    httpd.server_close()


# ---- layout ------------------------------------------------------------------------------------


def test_a_folder_with_the_vosk_files_is_a_model(tmp_path: Path) -> None:
    dynamic, static = make_model(tmp_path / "a"), make_model(tmp_path / "b", grammar=False)
    assert is_model_dir(dynamic) and supports_grammar(dynamic)
    assert is_model_dir(static) and not supports_grammar(static)


def test_missing_files_are_named(tmp_path: Path) -> None:
    folder = make_model(tmp_path / "m")
    (folder / "conf" / "mfcc.conf").unlink()
    (folder / "graph" / "Gr.fst").unlink()
    assert missing_files(folder) == ["conf/mfcc.conf", "graph/Gr.fst"]
    assert not is_model_dir(folder)
    assert not is_model_dir(tmp_path / "nowhere")


def test_the_real_model_constants() -> None:
    small = vosk_model.SMALL_EN_US
    assert small.url == "https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip"
    assert small.size == 41_205_931
    assert small.sha256 == "30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498"


# ---- find_model --------------------------------------------------------------------------------


def test_nothing_installed_finds_nothing(places: Places) -> None:
    assert find_model() is None


def test_search_order_explicit_env_repo_user(
    places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    explicit = make_model(places.tmp / "explicit")
    env = make_model(places.tmp / "env")
    repo = make_model(places.repo / "vosk-model-repo")
    user = make_model(places.user / "vosk-model-user")
    monkeypatch.setenv(vosk_model.ENV_VAR, str(env))

    assert find_model(explicit) == explicit
    assert find_model() == env
    monkeypatch.delenv(vosk_model.ENV_VAR)
    assert find_model() == repo
    (repo / "am" / "final.mdl").unlink()  # a broken model is passed over
    assert find_model() == user


def test_an_explicit_path_may_be_a_folder_holding_the_model(places: Places) -> None:
    model = make_model(places.tmp / "models" / "vosk-model-x")
    assert find_model(places.tmp / "models") == model


def test_a_chosen_path_without_a_model_is_an_error(
    places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_model(places.user / "fine")
    with pytest.raises(UserError, match="no such folder"):
        find_model(places.tmp / "missing")
    (places.tmp / "empty").mkdir()
    monkeypatch.setenv(vosk_model.ENV_VAR, str(places.tmp / "empty"))
    with pytest.raises(UserError, match=r"not a Vosk model folder: missing am/final.mdl"):
        find_model()


def test_grammar_capable_models_come_first(places: Places) -> None:
    make_model(places.repo / "a-big-static", grammar=False)
    small = make_model(places.repo / "z-small")
    assert find_model() == small


def test_model_status_lists_every_place(places: Places) -> None:
    user = make_model(places.user / "vosk-model-user")
    statuses = model_status()
    assert [status.location.path for status in statuses] == [None, None, places.repo, places.user]
    assert statuses[3].models == (user,)
    assert all(status.problem is None for status in statuses)


# ---- download ----------------------------------------------------------------------------------


def test_download_verifies_unpacks_and_is_found(
    places: Places, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    data = model_zip()
    model = download_model(places.user, archive=server.archive("/m.zip", data))
    assert model == places.user / "vosk-model-test-0.1"
    assert is_model_dir(model)
    assert contents(places.user) == ["vosk-model-test-0.1"]  # no temporary file or folder left
    assert find_model() == model
    progress = capsys.readouterr().err
    assert "m.zip" in progress and "100%" in progress


def test_download_without_progress_bar(
    places: Places, server: Server, capsys: pytest.CaptureFixture[str]
) -> None:
    download_model(places.user, archive=server.archive("/m.zip", model_zip()), progress=False)
    assert "100%" not in capsys.readouterr().err


def test_an_installed_model_is_not_downloaded_again(places: Places, server: Server) -> None:
    existing = make_model(places.user / "vosk-model-test-0.1")
    assert download_model(places.user, archive=server.archive("/m.zip", b"unused")) == existing
    assert server.requests == []


def test_download_leaves_no_descriptor_open(places: Places, server: Server) -> None:
    """Issue 28: the temporary name came from mkstemp, whose descriptor was never closed."""

    def temporary_files_open() -> list[str]:
        links = []
        for fd in os.listdir("/proc/self/fd"):
            with contextlib.suppress(FileNotFoundError):  # the listing's own, closed by now
                links.append(os.readlink(f"/proc/self/fd/{fd}"))
        return [link for link in links if ".download-" in link]

    data = model_zip()
    download_model(places.user, archive=server.archive("/m.zip", data), progress=False)
    wrong = ModelArchive("other", server.archive("/o.zip", data).url, len(data), sha256(b"x"))
    with pytest.raises(UserError):
        download_model(places.user, archive=wrong, progress=False)
    assert temporary_files_open() == []


def test_checksum_mismatch_is_refused_and_leaves_nothing(places: Places, server: Server) -> None:
    data = model_zip()
    good = server.archive("/m.zip", data)
    wrong = ModelArchive(good.name, good.url, good.size, sha256(b"something else"))
    with pytest.raises(UserError, match=r"SHA-256 is .* expected .*; refused"):
        download_model(places.user, archive=wrong)
    assert contents(places.user) == []


def test_a_truncated_download_is_refused(places: Places, server: Server) -> None:
    data = model_zip()
    cut = server.archive("/cut.zip", data, send=len(data) // 2)
    with pytest.raises(UserError, match=r"cut short|failed"):
        download_model(places.user, archive=cut)
    assert contents(places.user) == []


def test_a_shorter_file_than_expected_is_refused(places: Places, server: Server) -> None:
    data = model_zip()
    short = server.archive("/short.zip", data[:-10])
    expected = ModelArchive(short.name, short.url, len(data), sha256(data))
    with pytest.raises(UserError, match=f"announced {len(data) - 10} bytes, expected {len(data)}"):
        download_model(places.user, archive=expected)
    assert contents(places.user) == []


def test_a_longer_file_than_expected_is_cut_off(places: Places, server: Server) -> None:
    data = model_zip()
    server.routes["/long.zip"] = Route(data + b"x" * 100_000, announce=len(data))
    expected = ModelArchive("m", server.url("/long.zip"), len(data) - 1, sha256(data))
    with pytest.raises(UserError, match=r"announced|more than the expected"):
        download_model(places.user, archive=expected)
    assert contents(places.user) == []


def test_a_zip_with_parent_entries_is_refused(places: Places, server: Server) -> None:
    data = zip_bytes({"vosk-model-test-0.1/README": b"x", "../../escaped.txt": b"gotcha"})
    with pytest.raises(UserError, match=r"unsafe entry '../../escaped.txt'"):
        download_model(places.user, archive=server.archive("/evil.zip", data))
    assert contents(places.user) == []
    assert not list(places.tmp.rglob("escaped.txt"))


def test_a_corrupt_zip_is_refused(places: Places, server: Server) -> None:
    with pytest.raises(UserError, match="not a valid zip archive"):
        download_model(places.user, archive=server.archive("/bad.zip", b"PK\x03\x04 garbage" * 50))
    assert contents(places.user) == []


def test_http_errors_are_one_line(places: Places, server: Server) -> None:
    missing = ModelArchive("m", server.url("/missing.zip"), 10, sha256(b""))
    with pytest.raises(UserError, match="HTTP 404 Not Found"):
        download_model(places.user, archive=missing)
    assert contents(places.user) == []


def test_an_unreachable_server_is_one_line(places: Places) -> None:
    with socket.socket() as probe:  # a port that nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = ModelArchive("m", f"http://127.0.0.1:{port}/m.zip", 10, sha256(b""))
    with pytest.raises(UserError, match=r"download of .* failed: .*refused"):
        download_model(places.user, archive=unreachable, timeout=5)
    assert contents(places.user) == []


def test_too_little_space_is_refused_before_downloading(
    places: Places, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(archive.shutil, "disk_usage", lambda _path: _Usage(free=1000))
    with pytest.raises(UserError, match="not enough space"):
        download_model(places.user, archive=server.archive("/m.zip", model_zip()))
    assert server.requests == []


@dataclass
class _Usage:
    free: int
    total: int = 0
    used: int = 0


# ---- install from a local zip ----------------------------------------------------------------


def test_install_a_local_zip_unchecked(places: Places) -> None:
    zip_path = places.tmp / "custom.zip"
    zip_path.write_bytes(model_zip("vosk-model-custom"))
    model = install_model(zip_path, places.user, verify=False)
    assert model == places.user / "vosk-model-custom"
    assert find_model() == model
    assert contents(places.user) == ["vosk-model-custom"]


def test_install_refuses_an_unknown_zip_unless_told(places: Places) -> None:
    zip_path = places.tmp / "custom.zip"
    zip_path.write_bytes(model_zip())
    with pytest.raises(UserError, match="--no-verify"):
        install_model(zip_path, places.user)
    assert contents(places.user) == []


def test_install_verifies_a_known_zip(places: Places, monkeypatch: pytest.MonkeyPatch) -> None:
    data = model_zip("vosk-model-known-1")
    known = ModelArchive("vosk-model-known-1", "unused", len(data), sha256(data))
    monkeypatch.setattr(vosk_model, "KNOWN_ARCHIVES", (known,))
    renamed = places.tmp / "download (1).zip"  # recognised by its checksum, whatever its name
    renamed.write_bytes(data)
    assert install_model(renamed, places.user) == places.user / "vosk-model-known-1"


def test_install_refuses_a_damaged_known_zip(
    places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = model_zip("vosk-model-known-1")
    known = ModelArchive("vosk-model-known-1", "unused", len(data), sha256(data))
    monkeypatch.setattr(vosk_model, "KNOWN_ARCHIVES", (known,))
    damaged = places.tmp / "vosk-model-known-1.zip"
    middle = len(data) // 2
    damaged.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    with pytest.raises(UserError, match="SHA-256 is"):
        install_model(damaged, places.user)
    assert contents(places.user) == []


def test_install_a_zip_without_a_top_folder(places: Places) -> None:
    zip_path = places.tmp / "flat-model.zip"
    zip_path.write_bytes(zip_bytes(model_files()))
    assert install_model(zip_path, places.user, verify=False) == places.user / "flat-model"


def test_install_a_zip_that_holds_no_model(places: Places) -> None:
    zip_path = places.tmp / "other.zip"
    zip_path.write_bytes(zip_bytes({"other/README": b"not a model"}))
    with pytest.raises(UserError, match=r"no Vosk model inside .*am/final.mdl"):
        install_model(zip_path, places.user, verify=False)
    assert contents(places.user) == []


def test_install_a_missing_file(places: Places) -> None:
    with pytest.raises(UserError, match="no such file"):
        install_model(places.tmp / "nope.zip", places.user)


def test_install_refuses_symlink_entries(places: Places) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive_file:
        link = zipfile.ZipInfo("m/am")
        link.external_attr = 0o120777 << 16
        archive_file.writestr(link, "/etc")
    zip_path = places.tmp / "link.zip"
    zip_path.write_bytes(buffer.getvalue())
    with pytest.raises(UserError, match="unsafe entry 'm/am'"):
        install_model(zip_path, places.user, verify=False)


def test_unpacking_needs_room_for_the_files(
    places: Places, monkeypatch: pytest.MonkeyPatch
) -> None:
    zip_path = places.tmp / "custom.zip"
    zip_path.write_bytes(model_zip())
    monkeypatch.setattr(archive.shutil, "disk_usage", lambda _path: _Usage(free=10))
    with pytest.raises(UserError, match="not enough space"):
        install_model(zip_path, places.user, verify=False)
    assert contents(places.user) == []


# ---- the command line ----------------------------------------------------------------------


def run_cli(*argv: str) -> int:
    parser = argparse.ArgumentParser(prog="voicecoach")
    model_cli.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.handler(args)


def test_status_without_a_model(places: Places, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("model", "status") == 0
    out = capsys.readouterr().out
    assert f"3. repository models/vosk: {places.repo}: no model" in out
    assert f"4. user data dir: {places.user}: no model" in out
    assert "In use: none. Get one: voicecoach model download" in out


def test_status_with_models(places: Places, capsys: pytest.CaptureFixture[str]) -> None:
    user = make_model(places.user / "vosk-model-small-en-us-0.15")
    make_model(places.user / "vosk-model-en-us-0.22", grammar=False)
    assert run_cli("model", "status") == 0
    out = capsys.readouterr().out
    assert (
        f"{places.user}: vosk-model-small-en-us-0.15 (command grammar), "
        "vosk-model-en-us-0.22 (static graph, no grammar)"
    ) in out
    assert f"In use: {user}" in out


def test_status_names_a_bad_chosen_path(places: Places, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli("model", "status", "--model", str(places.tmp / "gone")) == 0
    out = capsys.readouterr().out
    gone = places.tmp / "gone"
    assert f"1. --model / config: {gone} (from --model / config): no such folder" in out


def test_cli_install(places: Places, capsys: pytest.CaptureFixture[str]) -> None:
    zip_path = places.tmp / "custom.zip"
    zip_path.write_bytes(model_zip())
    dest = str(places.user)
    assert run_cli("model", "install", str(zip_path), "--dest", dest, "--no-verify") == 0
    out = capsys.readouterr().out
    assert "WITHOUT checksum verification" in out
    assert f"Vosk model ready: {places.user / 'vosk-model-test-0.1'}" in out


def test_cli_errors_are_one_line_with_status_2(
    places: Places, capsys: pytest.CaptureFixture[str]
) -> None:
    from voicecoach.cli import main

    assert main(["model", "install", str(places.tmp / "nope.zip")]) == 2
    err = capsys.readouterr().err
    assert err == f"voicecoach: {places.tmp / 'nope.zip'}: no such file\n"


def test_cli_download_when_already_installed(
    places: Places, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = make_model(places.user / vosk_model.SMALL_EN_US.name)
    assert run_cli("model", "download", "--dest", str(places.user)) == 0
    assert capsys.readouterr().out == f"Already installed: {existing}\n"
