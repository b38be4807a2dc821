"""The same chunked work on a Dask distributed cluster, for larger catalogs or windows.

The catalog is scattered once to every worker; each worker builds its SGP4
records on first use and keeps them with the scattered object.
"""

from __future__ import annotations

from typing import Any

from watchfloor.engines.orbital.base import (
    ChunkKernel,
    ProgressCallback,
    Propagator,
    R,
    TimeChunk,
    TimeWindow,
)
from watchfloor.engines.orbital.catalog import Catalog


def _run_on_worker(
    catalog: Catalog, kernel: ChunkKernel[R], window: TimeWindow, chunk: TimeChunk
) -> R:
    return kernel(catalog, window, chunk)


class DaskPropagator(Propagator):
    """Runs chunks as Dask tasks on `client` (a `distributed.Client`) or at `address`."""

    def __init__(self, client: Any | None = None, address: str | None = None) -> None:
        from distributed import Client

        if client is None and address is None:
            raise ValueError("give a distributed.Client or a scheduler address")
        self._owns_client = client is None
        self._client = client if client is not None else Client(address)  # type: ignore[no-untyped-call]
        info = self._client.scheduler_info()
        self.workers = max(1, sum(w.get("nthreads", 1) for w in info.get("workers", {}).values()))

    def _map_chunks(
        self,
        catalog: Catalog,
        window: TimeWindow,
        chunks: list[TimeChunk],
        kernel: ChunkKernel[R],
        progress: ProgressCallback | None,
    ) -> list[R]:
        from distributed import as_completed

        client = self._client
        [scattered] = client.scatter([catalog], broadcast=True, hash=False)
        futures = [
            client.submit(_run_on_worker, scattered, kernel, window, chunk, pure=False)
            for chunk in chunks
        ]
        index = {f.key: c.index for f, c in zip(futures, chunks, strict=True)}
        results: dict[int, R] = {}
        for done, future in enumerate(as_completed(futures), start=1):  # type: ignore[no-untyped-call]
            results[index[future.key]] = future.result()
            if progress is not None:
                progress(done, len(chunks))
        client.cancel([scattered])
        return [results[c.index] for c in chunks]

    def close(self) -> None:
        if self._owns_client:
            self._client.close()
