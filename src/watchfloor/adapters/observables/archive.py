"""Logs handed over in a ZIP archive, as a partner or a collection script
sends a folder of them: each file taken out into a folder of the caller's,
named after the archive and its place in it (``logs.zip/zeek/conn.log``), then
read as any log is.

A ZIP archive can expand far past its own size (a "ZIP bomb"), so the files
are copied out a MiB at a time and counted as they come, whatever sizes the
archive claims: past :data:`UNPACK_RATIO` times the archive's size, or
:data:`UNPACK_MAX_BYTES`, or past :data:`UNPACK_MAX_FILES` files, the archive is
refused and nothing of it read. Names are reduced to safe characters, folders
kept as a path below the caller's folder (no ``..``, no absolute path), and the
files macOS adds (``__MACOSX/``, ``._*``) left out. An encrypted file, or one
whose bytes fail the archive's CRC, refuses the archive, naming the file.
"""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path, PurePosixPath

from watchfloor.adapters.observables.base import ObservableLogError

__all__ = [
    "UNPACK_MAX_BYTES",
    "UNPACK_MAX_FILES",
    "UNPACK_RATIO",
    "is_zip",
    "unpack_logs",
]

_ZIP_MAGIC = b"PK\x03\x04"
#: The most an archive may expand to: this many times its own size ...
UNPACK_RATIO = 64
#: ... and this many bytes in all, whatever its size,
UNPACK_MAX_BYTES = 16 << 30
#: in at most this many files.
UNPACK_MAX_FILES = 1000
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def is_zip(path: str | Path) -> bool:
    """Whether the file is a ZIP archive (by its first bytes)."""
    with open(path, "rb") as fh:
        return fh.read(len(_ZIP_MAGIC)) == _ZIP_MAGIC


def unpack_logs(archive: Path, folder: Path, name: str | None = None) -> list[tuple[Path, str]]:
    """Each file of the ZIP ``archive`` written below ``folder``: its path
    there, and its name as reported (``name`` — the archive's, by default —
    then its path in the archive). Raises :class:`ObservableLogError` naming
    the archive (and the file) where it cannot be read whole, within the
    limits above; what was written of it is removed then."""
    shown = name or archive.name
    out: list[tuple[Path, str]] = []
    try:
        _unpack(archive, folder, shown, out)
    except BaseException:
        for path in [*(p for p, _ in out), *folder.glob("*/**/*")]:
            if path.is_file():
                path.unlink()
        raise
    return out


def _unpack(archive: Path, folder: Path, shown: str, out: list[tuple[Path, str]]) -> None:
    limit = min(UNPACK_MAX_BYTES, UNPACK_RATIO * max(archive.stat().st_size, 1 << 20))
    written = 0
    try:
        with zipfile.ZipFile(archive) as zf:
            members = [m for m in zf.infolist() if not m.is_dir() and not _macos_extra(m.filename)]
            if len(members) > UNPACK_MAX_FILES:
                raise ObservableLogError(
                    f"{shown}: holds {len(members)} files, more than {UNPACK_MAX_FILES}; "
                    "give its logs in smaller archives"
                )
            for n, member in enumerate(members, 1):
                if member.flag_bits & 0x1:
                    raise ObservableLogError(f"{shown}: {member.filename} is encrypted")
                inside = _safe_path(member.filename, n)
                target = folder / str(n) / inside
                target.parent.mkdir(parents=True, exist_ok=True)
                out.append((target, f"{shown}/{inside}"))
                try:
                    with zf.open(member) as src, target.open("wb") as dst:
                        while chunk := src.read(1 << 20):
                            written += len(chunk)
                            if written > limit:
                                raise ObservableLogError(
                                    f"{shown}: expands past {limit >> 20:,} MiB "
                                    f"({UNPACK_RATIO} times its size at most); take its logs "
                                    "out and give them as they are, or compressed with gzip"
                                )
                            dst.write(chunk)
                except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
                    raise ObservableLogError(
                        f"{shown}: {member.filename} is damaged ({exc})"
                    ) from None
                except NotImplementedError as exc:  # a compression Python does not know
                    raise ObservableLogError(f"{shown}: {member.filename}: {exc}") from None
    except zipfile.BadZipFile as exc:
        raise ObservableLogError(f"{shown}: not a ZIP archive that can be read ({exc})") from None


def _macos_extra(name: str) -> bool:
    """The resource forks and folder notes macOS adds to the archives it makes."""
    parts = PurePosixPath(name.replace("\\", "/")).parts
    return bool(parts) and (parts[0] == "__MACOSX" or parts[-1].startswith("._"))


def _safe_path(name: str, n: int) -> str:
    """A member's path in the archive, each part reduced to safe characters,
    with no way out of the folder (``..`` and a leading ``/`` dropped)."""
    parts = [
        _UNSAFE.sub("_", part).strip("._")
        for part in PurePosixPath(name.replace("\\", "/")).parts
        if part not in ("", "/", "..", ".")
    ]
    parts = [p for p in parts if p]
    return "/".join(parts) or f"file-{n}"
