"""Logs handed over in a ZIP archive: taken out safely, or refused by name."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from watchfloor.adapters.observables import ObservableLogError
from watchfloor.adapters.observables.archive import is_zip, unpack_logs


def _archive(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_each_file_comes_out_below_the_folder_named_by_its_place(tmp_path: Path) -> None:
    archive = _archive(
        tmp_path / "case 7.zip",
        {
            "a/conn.log": b"one\n",
            "/etc/passwd": b"two\n",
            "..\\..\\evil.csv": b"three\n",
            "a/": b"",
            "__MACOSX/a/._conn.log": b"\x00",
            "a/._conn.log": b"\x00",
        },
    )
    out = tmp_path / "out"
    unpacked = unpack_logs(archive, out)
    assert [name for _, name in unpacked] == [
        "case 7.zip/a/conn.log",
        "case 7.zip/etc/passwd",
        "case 7.zip/evil.csv",
    ]
    assert [path.read_bytes() for path, _ in unpacked] == [b"one\n", b"two\n", b"three\n"]
    assert all(out in path.parents for path, _ in unpacked)
    assert is_zip(archive) and not is_zip(unpacked[0][0])


def test_a_damaged_file_refuses_the_archive_and_leaves_nothing(tmp_path: Path) -> None:
    archive = _archive(tmp_path / "logs.zip", {"good.csv": b"a,b\n" * 100, "bad.csv": b"x" * 500})
    raw = bytearray(archive.read_bytes())
    second = raw.find(b"PK\x03\x04", 4)  # the second file's local header, then its data
    raw[second + 30 + len("bad.csv") + 2] ^= 0xFF
    archive.write_bytes(bytes(raw))
    out = tmp_path / "out"
    with pytest.raises(ObservableLogError, match=r"logs\.zip: bad\.csv is damaged"):
        unpack_logs(archive, out)
    assert not [p for p in out.rglob("*") if p.is_file()]
