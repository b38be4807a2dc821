"""SGP4 through `sgp4`'s vectorised SatrecArray, and the local propagators.

`SerialPropagator` runs chunks in this process; `ProcessPoolPropagator` runs
them in a pool of local processes, each building the catalog's SGP4 records
once (the catalog travels as element sets: SGP4 records do not pickle).
"""

from __future__ import annotations

import multiprocessing
import os
import threading
from collections.abc import Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from watchfloor.engines.orbital.base import (
    ChunkKernel,
    ProgressCallback,
    Propagator,
    R,
    States,
    TimeChunk,
    TimeWindow,
)
from watchfloor.engines.orbital.catalog import Catalog, IntArray


def sample_times(chunk: TimeChunk, step_s: float) -> np.ndarray:
    """Sample times covering a chunk, both ends included, `step_s` apart (last may be short)."""
    n = int(np.ceil(chunk.duration_s / step_s - 1e-9))
    t = chunk.start_s + step_s * np.arange(n + 1, dtype=np.float64)
    t[-1] = chunk.end_s
    return t


def propagate_states(
    catalog: Catalog,
    window: TimeWindow,
    times_s: np.ndarray,
    indices: Sequence[int] | IntArray | None = None,
) -> States:
    """SGP4 states of catalog rows `indices` (all when None) at `times_s` from the window start."""
    jd0, fr0 = window.julian
    times = np.asarray(times_s, dtype=np.float64)
    jd = np.full(times.shape, jd0)
    fr = fr0 + times / 86400.0
    whole = indices is None or (len(indices) == len(catalog) and bool(np.all(np.diff(indices) > 0)))
    array = catalog.satrec_array(None if whole else indices)
    err, r, v = array.sgp4(jd, fr)
    rows = np.arange(len(catalog)) if indices is None else np.asarray(indices, dtype=np.int64)
    bad = err != 0
    if bad.any():
        r[bad] = np.nan
        v[bad] = np.nan
    return States(rows.astype(np.int64), times, r, v, err.astype(np.uint8))


@dataclass(frozen=True)
class PropagateKernel:
    """The plainest kernel: states at a fixed step (the last sample of a chunk is its end)."""

    step_s: float

    def __call__(self, catalog: Catalog, window: TimeWindow, chunk: TimeChunk) -> States:
        t = sample_times(chunk, self.step_s)
        if chunk.end_s < window.duration_s - 1e-9:
            t = t[:-1]  # the next chunk starts with this instant
        return propagate_states(catalog, window, t)


class SerialPropagator(Propagator):
    """Everything in this process: the reference implementation."""

    workers = 1

    def _map_chunks(
        self,
        catalog: Catalog,
        window: TimeWindow,
        chunks: list[TimeChunk],
        kernel: ChunkKernel[R],
        progress: ProgressCallback | None,
    ) -> list[R]:
        out: list[R] = []
        for done, chunk in enumerate(chunks, start=1):
            out.append(kernel(catalog, window, chunk))
            if progress is not None:
                progress(done, len(chunks))
        return out


_WORKER_CATALOG: Catalog | None = None


def _install(catalog: Catalog) -> None:
    global _WORKER_CATALOG
    _WORKER_CATALOG = catalog
    _ = catalog.satrec_array()  # build the SGP4 records once per process


def _run(kernel: ChunkKernel[R], window: TimeWindow, chunk: TimeChunk) -> R:
    assert _WORKER_CATALOG is not None, "worker started without a catalog"
    return kernel(_WORKER_CATALOG, window, chunk)


def _default_start_method() -> str:
    """'fork' while this process has one thread (cheap: workers inherit imports and records).

    Forking a process that runs threads can deadlock, so then 'forkserver' (or 'spawn').
    """
    methods = multiprocessing.get_all_start_methods()
    if "fork" in methods and threading.active_count() == 1:
        return "fork"
    return "forkserver" if "forkserver" in methods else "spawn"


class ProcessPoolPropagator(Propagator):
    """Chunks run in parallel in local processes (one SGP4 stream per core)."""

    def __init__(self, workers: int | None = None, start_method: str | None = None) -> None:
        self.workers = max(1, workers or os.cpu_count() or 1)
        self._start_method = start_method

    def _map_chunks(
        self,
        catalog: Catalog,
        window: TimeWindow,
        chunks: list[TimeChunk],
        kernel: ChunkKernel[R],
        progress: ProgressCallback | None,
    ) -> list[R]:
        context = multiprocessing.get_context(self._start_method or _default_start_method())
        results: dict[int, R] = {}
        with ProcessPoolExecutor(
            max_workers=min(self.workers, len(chunks)),
            mp_context=context,
            initializer=_install,
            initargs=(catalog,),
        ) as pool:
            futures: dict[Future[R], int] = {
                pool.submit(_run, kernel, window, chunk): chunk.index for chunk in chunks
            }
            for done, future in enumerate(as_completed(futures), start=1):
                results[futures[future]] = future.result()
                if progress is not None:
                    progress(done, len(chunks))
        return [results[c.index] for c in chunks]
