"""Small interfaces of the orbital engine.

Roles, in the Stone Soup manner: a `Propagator` runs SGP4 work over the time
chunks of a window — in this process, in a pool of local processes, or on a
Dask cluster — and never knows what the work is; a `ChunkKernel` is that work
(plain propagation, victim screening, catalog screening) and never knows where
it runs. Times inside the engine are seconds from the window start; distances
are km and speeds km/s, and every name says so.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol, TypeVar

import numpy as np
from numpy.typing import NDArray

from watchfloor.engines.orbital.catalog import Catalog, julian_split

R = TypeVar("R")
R_co = TypeVar("R_co", covariant=True)

#: Called with (chunks done, chunks in all) as work completes.
ProgressCallback = Callable[[int, int], None]


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """A UTC time window: where screening looks."""

    start: datetime
    duration_s: float

    def __post_init__(self) -> None:
        if self.start.tzinfo is None:
            raise ValueError("window start must be timezone-aware (UTC)")
        if not (math.isfinite(self.duration_s) and self.duration_s > 0.0):
            raise ValueError(f"window duration must be positive, got {self.duration_s!r} s")

    @property
    def end(self) -> datetime:
        return self.start + timedelta(seconds=self.duration_s)

    @property
    def julian(self) -> tuple[float, float]:
        return julian_split(self.start.astimezone(UTC))

    def at(self, offset_s: float) -> datetime:
        return self.start + timedelta(seconds=offset_s)

    def chunks(self, chunk_s: float, align_s: float) -> list[TimeChunk]:
        """Cut the window into chunks of about `chunk_s`, each a multiple of `align_s`."""
        if chunk_s <= 0.0 or align_s <= 0.0:
            raise ValueError("chunk and alignment must be positive")
        step = max(align_s, math.floor(chunk_s / align_s) * align_s)
        out: list[TimeChunk] = []
        t = 0.0
        while t < self.duration_s - 1e-9:
            end = min(t + step, self.duration_s)
            out.append(TimeChunk(len(out), t, end))
            t = end
        return out


@dataclass(frozen=True, slots=True)
class TimeChunk:
    """A piece of a window, in seconds from the window start."""

    index: int
    start_s: float
    end_s: float

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


@dataclass(frozen=True, slots=True)
class States:
    """SGP4 states (TEME) of some catalog objects at some times."""

    object_index: NDArray[np.int64]  # (N,) rows of the catalog
    times_s: NDArray[np.float64]  # (K,) seconds from the window start
    position_km: NDArray[np.float64]  # (N, K, 3)
    velocity_km_s: NDArray[np.float64]  # (N, K, 3)
    error: NDArray[np.uint8]  # (N, K) SGP4 error codes, 0 = fine


class ChunkKernel(Protocol[R_co]):
    """Work on one time chunk; must pickle (it travels to worker processes)."""

    def __call__(self, catalog: Catalog, window: TimeWindow, chunk: TimeChunk) -> R_co: ...


class Propagator(ABC):
    """Runs a kernel over time chunks wherever the implementation runs things."""

    #: Processes (or workers) the implementation uses; informs chunk sizes.
    workers: int = 1

    def map_chunks(
        self,
        catalog: Catalog,
        window: TimeWindow,
        chunks: Sequence[TimeChunk],
        kernel: ChunkKernel[R],
        progress: ProgressCallback | None = None,
    ) -> list[R]:
        """Results of `kernel` for each chunk, in chunk order."""
        if len(catalog) == 0:
            raise ValueError("the catalog is empty")
        for c in chunks:
            if not (0.0 <= c.start_s < c.end_s <= window.duration_s + 1e-6):
                raise ValueError(f"chunk {c} lies outside the window")
        if not chunks:
            return []
        return self._map_chunks(catalog, window, list(chunks), kernel, progress)

    @abstractmethod
    def _map_chunks(
        self,
        catalog: Catalog,
        window: TimeWindow,
        chunks: list[TimeChunk],
        kernel: ChunkKernel[R],
        progress: ProgressCallback | None,
    ) -> list[R]: ...

    def propagate(
        self,
        catalog: Catalog,
        window: TimeWindow,
        step_s: float,
        *,
        chunk_s: float = 3600.0,
    ) -> States:
        """Plain SGP4 states of every object at `step_s` intervals across the window."""
        if not (math.isfinite(step_s) and step_s > 0.0):
            raise ValueError(f"step must be positive, got {step_s!r} s")
        chunks = window.chunks(chunk_s, step_s)
        from watchfloor.engines.orbital.propagation import PropagateKernel

        parts = self.map_chunks(catalog, window, chunks, PropagateKernel(step_s))
        return States(
            object_index=parts[0].object_index,
            times_s=np.concatenate([p.times_s for p in parts]),
            position_km=np.concatenate([p.position_km for p in parts], axis=1),
            velocity_km_s=np.concatenate([p.velocity_km_s for p in parts], axis=1),
            error=np.concatenate([p.error for p in parts], axis=1),
        )

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release workers, if the implementation holds any."""
