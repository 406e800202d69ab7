"""Opening input files safely: only regular files, and never waiting on a FIFO."""

import os
import stat
from typing import BinaryIO

from voicecoach.errors import UserError


class MissingFile(UserError):
    """The file to read does not exist."""


def open_regular(path: os.PathLike | str, what: str) -> BinaryIO:
    """`path` open for binary reading; a device, FIFO or folder is one UserError line."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer.
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except FileNotFoundError as error:
        raise MissingFile(f"{path}: cannot read {what} ({error.strerror})") from None
    except OSError as error:
        raise UserError(f"{path}: cannot read {what} ({error.strerror})") from None
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        reason = "Is a directory" if stat.S_ISDIR(mode) else "not a regular file"
        raise UserError(f"{path}: cannot read {what} ({reason})")
    os.set_blocking(fd, True)
    return os.fdopen(fd, "rb")


def read_at_most(path: os.PathLike | str, what: str, limit: int) -> bytes:
    """The bytes of the regular file `path`; more than `limit` bytes is one UserError line."""
    with open_regular(path, what) as file:
        try:
            data = file.read(limit + 1)
        except OSError as error:
            raise UserError(f"{path}: cannot read {what} ({error.strerror})") from None
    if len(data) > limit:
        raise UserError(f"{path}: {what} is larger than {limit // 1024} KB; refused")
    return data
