"""Downloading a file of known size and SHA-256, and unpacking zip archives safely.

Every failure is one UserError line; a download that fails leaves no file behind.
"""

import errno
import hashlib
import http.client
import lzma
import shutil
import sys
import urllib.error
import urllib.request
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from tqdm import tqdm

from voicecoach.errors import UserError

CHUNK = 1 << 16
_ENCRYPTED = 0x1  # zip general purpose flag bit 0
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)
_NETWORK_ERRORS = (urllib.error.URLError, http.client.HTTPException, TimeoutError, ConnectionError)


@dataclass(frozen=True)
class Expected:
    size: int
    sha256: str


def download(
    url: str, dest: Path, expected: Expected, *, progress: bool = True, timeout: float = 30.0
) -> None:
    """Fetch `url` into the new file `dest` and check its size and SHA-256 before returning."""
    try:
        _fetch(url, dest, expected, progress, timeout)
        check_file(dest, expected, what=url)
    except BaseException:
        dest.unlink(missing_ok=True)
        raise


def check_file(path: Path, expected: Expected, *, what: str) -> None:
    size = path.stat().st_size
    if size != expected.size:
        raise UserError(f"{what}: got {size} bytes, expected {expected.size}; refused")
    digest = sha256_file(path)
    if digest != expected.sha256:
        raise UserError(f"{what}: SHA-256 is {digest}, expected {expected.sha256}; refused")


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        while chunk := file.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def unpack(zip_path: Path, into: Path) -> None:
    """Extract every entry of `zip_path` under `into`, refusing entries that would leave it."""
    try:
        with zipfile.ZipFile(zip_path) as archive:
            members = archive.infolist()
            for member in members:
                _check_member(member, zip_path)
            require_space(into, sum(member.file_size for member in members))
            archive.extractall(into)
    except (zipfile.BadZipFile, zlib.error, lzma.LZMAError, EOFError) as error:
        raise UserError(f"{zip_path}: not a valid zip archive ({error})") from None
    except OSError as error:
        raise disk_error(into, error) from None


def require_space(folder: Path, needed: int) -> None:
    free = shutil.disk_usage(folder).free
    if free < needed:
        raise UserError(f"not enough space in {folder}: {_mb(needed)} needed, {_mb(free)} free")


def disk_error(path: Path, error: OSError) -> UserError:
    if error.errno == errno.ENOSPC:
        return UserError(f"no space left on the device of {path}")
    return UserError(f"cannot write in {path}: {error.strerror or error}")


def _fetch(url: str, dest: Path, expected: Expected, progress: bool, timeout: float) -> None:
    response = _open(url, timeout)
    with response, _create(dest) as out, _bar(url, expected.size, progress) as bar:
        announced = response.headers.get("Content-Length")
        if announced is not None and announced.isdigit() and int(announced) != expected.size:
            raise UserError(f"{url}: server announced {announced} bytes, expected {expected.size}")
        received = 0
        while chunk := _read(response, url):
            received += len(chunk)
            if received > expected.size:  # stop early rather than fill the disk
                raise UserError(f"{url}: more than the expected {expected.size} bytes; refused")
            _write(out, chunk, dest)
            bar.update(len(chunk))
    if received < expected.size:
        raise UserError(f"{url}: download cut short at {received} of {expected.size} bytes")


def _open(url: str, timeout: float) -> http.client.HTTPResponse:
    try:
        return urllib.request.urlopen(url, timeout=timeout)
    except urllib.error.HTTPError as error:
        raise UserError(f"download of {url} failed: HTTP {error.code} {error.reason}") from None
    except _NETWORK_ERRORS as error:
        raise UserError(f"download of {url} failed: {_reason(error)}") from None


def _read(response: http.client.HTTPResponse, url: str) -> bytes:
    try:
        return response.read(CHUNK)
    except _NETWORK_ERRORS as error:
        raise UserError(f"download of {url} failed: {_reason(error)}") from None


def _create(dest: Path) -> BinaryIO:
    try:
        return dest.open("xb")
    except OSError as error:
        raise disk_error(dest.parent, error) from None


def _write(out: BinaryIO, chunk: bytes, dest: Path) -> None:
    try:
        out.write(chunk)
    except OSError as error:
        raise disk_error(dest.parent, error) from None


def _bar(url: str, total: int, progress: bool) -> tqdm:
    name = url.rsplit("/", 1)[-1]
    return tqdm(
        total=total,
        unit="B",
        unit_scale=True,
        unit_divisor=1024,
        desc=name,
        disable=not progress,
        file=sys.stderr,
    )


def _check_member(member: zipfile.ZipInfo, zip_path: Path) -> None:
    name = member.filename
    if member.flag_bits & _ENCRYPTED:
        raise UserError(f"{zip_path}: entry {name!r} is encrypted; refused")
    if member.compress_type not in _METHODS:
        raise UserError(
            f"{zip_path}: entry {name!r} uses compression method {member.compress_type}, "
            "which cannot be unpacked here (stored, deflate, bzip2 and lzma can)"
        )
    parts = PurePosixPath(name.replace("\\", "/")).parts
    unsafe = (
        name.startswith(("/", "\\"))
        or ".." in parts
        or (parts and ":" in parts[0])  # a Windows drive such as C:
        or "\0" in name
        or _is_symlink(member)
    )
    if unsafe:
        raise UserError(f"{zip_path}: unsafe entry {name!r} would land outside the folder; refused")


def _is_symlink(member: zipfile.ZipInfo) -> bool:
    return (member.external_attr >> 16) & 0o170000 == 0o120000


def _reason(error: BaseException) -> str:
    if isinstance(error, urllib.error.URLError) and not isinstance(error.reason, str):
        error = error.reason
    text = str(error) or type(error).__name__
    return text.removeprefix("<urlopen error ").removesuffix(">")


def _mb(size: int) -> str:
    return f"{size / 1e6:.1f} MB"
