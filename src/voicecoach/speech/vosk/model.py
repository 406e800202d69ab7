"""Where the Vosk model lives: finding an installed one, downloading or installing one."""

import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import platformdirs

from voicecoach.errors import UserError
from voicecoach.speech.vosk.archive import (
    Expected,
    check_file,
    disk_error,
    download,
    require_space,
    sha256_file,
    unpack,
)

ENV_VAR = "VOICECOACH_VOSK_MODEL"
REPO_MODELS_DIR = Path(__file__).resolve().parents[3] / "models" / "vosk"

# What Vosk's Model() reads (vosk-api src/model.cc, the "am/final.mdl" layout). A model needs a
# decoding graph: HCLr.fst + Gr.fst (a runtime grammar can be set) or a static HCLG.fst (it cannot).
REQUIRED_FILES = ("am/final.mdl", "conf/mfcc.conf", "conf/model.conf")
DYNAMIC_GRAPH = ("graph/HCLr.fst", "graph/Gr.fst", "graph/disambig_tid.int")
STATIC_GRAPH = ("graph/HCLG.fst",)


@dataclass(frozen=True)
class ModelArchive:
    name: str  # the folder inside the zip
    url: str
    size: int
    sha256: str

    @property
    def expected(self) -> Expected:
        return Expected(self.size, self.sha256)


SMALL_EN_US = ModelArchive(
    name="vosk-model-small-en-us-0.15",
    url="https://alphacephei.com/vosk/models/vosk-model-small-en-us-0.15.zip",
    size=41_205_931,
    sha256="30f26242c4eb449f948e42cb302dd7a686cb29a3423a8367f99ff41780942498",
)
KNOWN_ARCHIVES = (SMALL_EN_US,)


@dataclass(frozen=True)
class Location:
    source: str  # how the user names this place
    path: Path | None  # None: not configured
    explicit: bool  # a place the user chose must hold a model: it is an error when it does not


@dataclass(frozen=True)
class LocationStatus:
    location: Location
    models: tuple[Path, ...]
    problem: str | None


# ---- layout -------------------------------------------------------------------------------


def missing_files(folder: Path) -> list[str]:
    """The files a Vosk model needs that `folder` lacks (empty: it is a model)."""
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    graphs = [
        [name for name in graph if not (folder / name).is_file()]
        for graph in (DYNAMIC_GRAPH, STATIC_GRAPH)
    ]
    if all(graphs):
        missing += graphs[0]
    return missing


def is_model_dir(folder: Path) -> bool:
    return folder.is_dir() and not missing_files(folder)


def supports_grammar(folder: Path) -> bool:
    return all((folder / name).is_file() for name in DYNAMIC_GRAPH)


def models_in(folder: Path) -> list[Path]:
    """`folder` itself when it is a model, else the models directly inside it, best first."""
    if is_model_dir(folder):
        return [folder]
    if not folder.is_dir():
        return []
    found = [child for child in folder.iterdir() if is_model_dir(child)]
    return sorted(found, key=lambda model: (not supports_grammar(model), model.name))


# ---- finding --------------------------------------------------------------------------------


def user_models_dir() -> Path:
    return Path(platformdirs.user_data_dir("voicecoach")) / "models" / "vosk"


def default_dest() -> Path:
    """Where download/install put a model: the checkout's models/vosk, else the user data dir."""
    return REPO_MODELS_DIR if REPO_MODELS_DIR.is_dir() else user_models_dir()


def locations(explicit: Path | None = None) -> list[Location]:
    """The places searched, in order."""
    env = os.environ.get(ENV_VAR, "").strip()
    return [
        Location("--model / config", _expand(explicit), explicit=True),
        Location(f"${ENV_VAR}", _expand(env) if env else None, explicit=True),
        Location("repository models/vosk", REPO_MODELS_DIR, explicit=False),
        Location("user data dir", user_models_dir(), explicit=False),
    ]


def find_model(explicit: Path | None = None) -> Path | None:
    """The model to use, or None. A chosen path (argument or env var) with no model is an error."""
    for status in model_status(explicit):
        if status.models:
            return status.models[0]
        if status.problem:
            raise UserError(status.problem)
    return None


def model_status(explicit: Path | None = None) -> list[LocationStatus]:
    """What each searched place holds."""
    return [_status(location) for location in locations(explicit)]


def _status(location: Location) -> LocationStatus:
    path = location.path
    if path is None:
        return LocationStatus(location, (), None)
    models = tuple(models_in(path))
    problem = None
    if location.explicit and not models:
        problem = _not_a_model(path, location.source)
    return LocationStatus(location, models, problem)


def _not_a_model(path: Path, source: str) -> str:
    if not path.exists():
        return f"{path} (from {source}): no such folder"
    return (
        f"{path} (from {source}) is not a Vosk model folder: "
        f"missing {', '.join(missing_files(path))}"
    )


def _expand(path: Path | str | None) -> Path | None:
    return None if path is None else Path(path).expanduser()


# ---- installing -----------------------------------------------------------------------------


def download_model(
    dest_dir: Path | None = None,
    *,
    archive: ModelArchive = SMALL_EN_US,
    progress: bool = True,
    timeout: float = 30.0,
) -> Path:
    """Download, verify (size and SHA-256) and unpack `archive`; return the model folder."""
    dest = _prepare(dest_dir)
    target = dest / archive.name
    if is_model_dir(target):
        return target
    require_space(dest, archive.size)
    part = _temporary_name(dest)
    try:
        download(archive.url, part, archive.expected, progress=progress, timeout=timeout)
        return _unpack_model(part, dest, archive.name)
    finally:
        part.unlink(missing_ok=True)


def _temporary_name(dest: Path) -> Path:
    """A fresh name in `dest` for the download (which then creates the file exclusively)."""
    try:
        descriptor, name = tempfile.mkstemp(prefix=".download-", suffix=".zip", dir=dest)
    except OSError as error:
        raise disk_error(dest, error) from None
    os.close(descriptor)
    Path(name).unlink()
    return Path(name)


def install_model(zip_path: Path, dest_dir: Path | None = None, *, verify: bool = True) -> Path:
    """Unpack a model zip that is already on disk. `verify=False` skips the checksum check."""
    if not zip_path.is_file():
        raise UserError(f"{zip_path}: no such file")
    name = verify_archive(zip_path).name if verify else zip_path.name.removesuffix(".zip")
    dest = _prepare(dest_dir)
    return _unpack_model(zip_path, dest, name)


def verify_archive(zip_path: Path) -> ModelArchive:
    """The known model `zip_path` is, by size and SHA-256; anything else is refused."""
    named = [known for known in KNOWN_ARCHIVES if zip_path.name == f"{known.name}.zip"]
    if named:
        check_file(zip_path, named[0].expected, what=str(zip_path))
        return named[0]
    size, digest = zip_path.stat().st_size, sha256_file(zip_path)
    for known in KNOWN_ARCHIVES:
        if (size, digest) == (known.size, known.sha256):
            return known
    raise UserError(
        f"{zip_path}: not a model whose checksum voicecoach knows; "
        "add --no-verify to install it unchecked"
    )


def _prepare(dest_dir: Path | None) -> Path:
    dest = (dest_dir or default_dest()).expanduser()
    try:
        dest.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise disk_error(dest, error) from None
    return dest


def _unpack_model(zip_path: Path, dest: Path, name: str) -> Path:
    """Unpack into a hidden folder beside the target, then rename it into place in one step."""
    try:
        staging = Path(tempfile.mkdtemp(prefix=".unpacking-", dir=dest))
    except OSError as error:
        raise disk_error(dest, error) from None
    try:
        unpack(zip_path, staging)
        root = _model_root(staging, zip_path)
        target = dest / (name if root == staging else root.name)
        if target.exists():
            if is_model_dir(target):
                return target
            raise UserError(f"{target} exists and is not a Vosk model; move it away first")
        try:
            root.rename(target)
        except OSError as error:
            raise disk_error(dest, error) from None
        return target
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _model_root(staging: Path, zip_path: Path) -> Path:
    if is_model_dir(staging):
        return staging
    folders = [
        child
        for child in staging.iterdir()
        if child.is_dir() and not child.name.startswith((".", "__MACOSX"))
    ]
    if len(folders) == 1 and is_model_dir(folders[0]):
        return folders[0]
    inner = folders[0] if len(folders) == 1 else staging
    raise UserError(f"{zip_path}: no Vosk model inside (missing {', '.join(missing_files(inner))})")
