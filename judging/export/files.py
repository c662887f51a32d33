"""Writing an exported file whole or not at all.

Each document is made in memory and then written to a temporary file beside the target,
which replaces the target only once complete: a failed write (disk full, no permission, a
path that cannot hold files) leaves no half-written document and no earlier export damaged,
and fails with one clear message rather than whatever the library writing the format
reports when its file goes away under it.
"""

from __future__ import annotations

import os
from pathlib import Path

from judging.export.source import ExportError


def write_bytes(path: Path, data: bytes) -> Path:
    part = path.with_name(f".{path.name}.{os.getpid()}.part")
    try:
        fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)  # 0o666: the umask applies, as for any new file
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            os.replace(part, path)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
    except OSError as e:
        raise ExportError(f"cannot write {path}: {e.strerror}") from None
    return path


def write_text(path: Path, text: str, encoding: str = "utf-8") -> Path:
    return write_bytes(path, text.encode(encoding))
