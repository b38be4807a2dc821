"""YAML files read with the line of every field, so errors can name file, field and line."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import yaml

from watchfloor.domain.errors import DomainError


class InputError(DomainError):
    """Bad input in a file: names the file, the field (and line), and the problem."""

    def __init__(self, file: str, field: str, line: int | None, problem: str) -> None:
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field}: {problem}" if field else f"{where}: {problem}")
        self.file = file
        self.field = field
        self.line = line
        self.problem = problem


Path_ = tuple[str | int, ...]


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            out[(*path, str(key.value))] = key.start_mark.line + 1
            _lines(value, (*path, str(key.value)), out)
            out[(*path, str(key.value))] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _lines(value, (*path, i), out)


@dataclass
class Doc:
    """A parsed YAML document and the line of each field path."""

    file: str
    data: Any
    lines: dict[Path_, int]

    def root(self) -> Node:
        return Node(self, (), self.data)


def load_yaml(path: str | Path) -> Doc:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as e:
        raise InputError(str(p), "", None, f"cannot read: {e.strerror or e}") from None
    return parse_yaml(text, str(p))


def parse_yaml(text: str, file: str) -> Doc:
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
        data = yaml.safe_load(text)
    except yaml.MarkedYAMLError as e:
        line = e.problem_mark.line + 1 if e.problem_mark else None
        raise InputError(file, "", line, f"not valid YAML: {e.problem}") from None
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return Doc(file, data, lines)


def _path_text(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(document)"


@dataclass
class Node:
    """Typed access to one value of a document; every error names its field and line."""

    doc: Doc
    path: Path_
    value: Any

    @property
    def name(self) -> str:
        return _path_text(self.path)

    def error(self, problem: str) -> InputError:
        line = None
        for n in range(len(self.path), -1, -1):
            line = self.doc.lines.get(self.path[:n])
            if line:
                break
        return InputError(self.doc.file, self.name, line, problem)

    def _mapping(self) -> dict[str, Any]:
        if not isinstance(self.value, dict):
            raise self.error(f"expected a mapping, got {type(self.value).__name__}")
        return self.value

    def has(self, key: str) -> bool:
        return key in self._mapping()

    def __getitem__(self, key: str) -> Node:
        m = self._mapping()
        if key not in m:
            raise self.error(f"missing required field {key!r}")
        return Node(self.doc, (*self.path, key), m[key])

    def get(self, key: str, default: Any = None) -> Node:
        m = self._mapping()
        return Node(self.doc, (*self.path, key), m.get(key, default))

    def keys(self) -> list[str]:
        return [str(k) for k in self._mapping()]

    def items(self) -> Iterator[tuple[str, Node]]:
        for k in self.keys():
            yield k, Node(self.doc, (*self.path, k), self._mapping()[k])

    def seq(self) -> list[Node]:
        if self.value is None:
            return []
        if not isinstance(self.value, list):
            raise self.error(f"expected a list, got {type(self.value).__name__}")
        return [Node(self.doc, (*self.path, i), v) for i, v in enumerate(self.value)]

    def text(self) -> str:
        if (
            isinstance(self.value, bool)
            or self.value is None
            or isinstance(self.value, dict | list)
        ):
            raise self.error(f"expected text, got {self.value!r}")
        return str(self.value)

    def opt_text(self) -> str | None:
        return None if self.value is None else self.text()

    def integer(self) -> int:
        if isinstance(self.value, bool) or not isinstance(self.value, int):
            raise self.error(f"expected a whole number, got {self.value!r}")
        return self.value

    def number(self) -> float:
        if isinstance(self.value, bool) or not isinstance(self.value, int | float):
            raise self.error(f"expected a number, got {self.value!r}")
        return float(self.value)

    def flag(self) -> bool:
        if not isinstance(self.value, bool):
            raise self.error(f"expected true or false, got {self.value!r}")
        return self.value

    def texts(self) -> list[str]:
        return [n.text() for n in self.seq()]

    def time(self) -> datetime:
        v = self.value
        if isinstance(v, datetime):
            dt = v
        elif isinstance(v, date):
            dt = datetime(v.year, v.month, v.day)
        elif isinstance(v, str):
            try:
                dt = datetime.fromisoformat(v.replace("Z", "+00:00"))
            except ValueError:
                raise self.error(f"expected an ISO 8601 time, got {v!r}") from None
        else:
            raise self.error(f"expected an ISO 8601 time, got {v!r}")
        return dt if dt.tzinfo else dt.replace(tzinfo=UTC)

    def convert(self, parse: Any) -> Any:
        """Apply a domain parser, turning its DomainError into an error naming this field."""
        try:
            return parse(self.text())
        except DomainError as e:
            raise self.error(str(e)) from None
