"""The Milvus store: chunk vectors and BM25 keywords in a Milvus collection (Milvus Lite file, server or cluster).

Per chunk the collection holds what search and filters need: id, document id, source, organisation,
year, the MiniLM vector and the BM25 keywords. The chunk list itself (text, offsets, metadata) is
written with each index generation, as for the FAISS store, so a loaded index always matches its
manifest; search results are mapped to rows of that list.

Keywords use Milvus's own BM25 (a `FunctionType.BM25` sparse function) over a VARCHAR field that holds
*our* analyzer's output (lower-cased, English stop words removed, Snowball stems: `store.tokenize`).
Milvus Lite's analyzer has no stemmer: on SciFact test its BM25 over the raw text scores nDCG@10 0.665,
over our tokens 0.686, the same as bm25s (eval/benchmarks/milvus-bm25.md, bench/milvus_bm25.py).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from assistant.errors import IndexDamagedError, StoreError
from assistant.index.keywords import indexed_text, tokenize
from assistant.index.store import CHUNKS_FILE, Ranked, StoreTarget, read_chunks, write_chunks
from assistant.types import Chunk, Filters

if TYPE_CHECKING:
    from pymilvus import MilvusClient

VARCHAR_MAX = 65535  # Milvus's limit for a VARCHAR field, in bytes
MAX_LIMIT = 16384  # Milvus's largest top-k
BATCH = 512  # rows per insert, ids per delete or get: keeps each request and filter expression small
CONNECT_TIMEOUT_S = 10.0
# BM25 parameters of bm25s, which the FAISS store uses, so both stores rank keywords alike.
BM25_K1, BM25_B = 1.5, 0.75

_CLIENTS: dict[tuple[str, str], MilvusClient] = {}
_CLIENTS_LOCK = threading.Lock()


class MilvusStore:
    """Chunks whose vectors and keywords live in a Milvus collection; row i of a search result is `chunks[i]`."""

    def __init__(self, chunks: Sequence[Chunk], client: MilvusClient, target: StoreTarget, dim: int) -> None:
        self.chunks = list(chunks)
        self.client = client
        self.target = target
        self.dim = dim
        self.collection = target.collection
        self._position = {c.id: i for i, c in enumerate(self.chunks)}

    @classmethod
    def create(cls, target: StoreTarget, dim: int, token: str = "") -> MilvusStore:
        """Return an empty store in a new collection, replacing any collection of the same name."""
        from pymilvus import DataType, Function, FunctionType, MilvusClient

        client = connect(target, token)
        schema = MilvusClient.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=64)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=64)
        schema.add_field("source", DataType.VARCHAR, max_length=VARCHAR_MAX)
        schema.add_field("organisation", DataType.VARCHAR, max_length=VARCHAR_MAX)
        schema.add_field("year", DataType.VARCHAR, max_length=16)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=dim)
        # The keywords arrive already analysed (see the module docstring): the standard tokenizer only splits them.
        schema.add_field(
            "keywords",
            DataType.VARCHAR,
            max_length=VARCHAR_MAX,
            enable_analyzer=True,
            analyzer_params={"tokenizer": "standard"},
        )
        schema.add_field("keywords_bm25", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(
            Function(
                name="keywords_bm25",
                function_type=FunctionType.BM25,
                input_field_names=["keywords"],
                output_field_names=["keywords_bm25"],
            )
        )
        index = client.prepare_index_params()
        # FLAT: exact inner product, the same ranking as the FAISS store's flat index.
        index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        index.add_index(
            field_name="keywords_bm25",
            index_type="SPARSE_INVERTED_INDEX",
            metric_type="BM25",
            params={"bm25_k1": BM25_K1, "bm25_b": BM25_B},
        )
        with milvus_errors(target):
            if client.has_collection(target.collection):
                client.drop_collection(target.collection)
            # Strong consistency: a search sees every write acknowledged before it, so an app replica
            # that picks up a new index generation finds its chunks in the collection.
            client.create_collection(target.collection, schema=schema, index_params=index, consistency_level="Strong")
            client.load_collection(target.collection)
        return cls([], client, target, dim)

    @classmethod
    def load(cls, folder: Path, target: StoreTarget, dim: int, token: str = "") -> MilvusStore:
        """Return the store of the index generation in `folder`: its chunk list, over the collection of `target`."""
        chunks = read_chunks(folder / CHUNKS_FILE)
        client = connect(target, token)
        with milvus_errors(target):
            if not client.has_collection(target.collection):
                raise IndexDamagedError(
                    f"The index in {folder.parent} lacks its {target.describe()}; rebuild it: assistant ingest"
                )
            client.load_collection(target.collection)  # a no-op when loaded; needed after a restart
        return cls(chunks, client, target, dim)

    def __len__(self) -> int:
        return len(self.chunks)

    def save(self, folder: Path) -> None:
        """Write the chunk list into `folder` (the caller makes it atomic); the vectors stay in Milvus."""
        folder.mkdir(parents=True, exist_ok=True)
        write_chunks(folder / CHUNKS_FILE, self.chunks)

    def add(self, chunks: Sequence[Chunk], vectors: np.ndarray) -> None:
        """Insert `chunks` with their (n, dim) normalised vectors, and append them to the chunk list."""
        if not chunks:
            return
        keywords = [_fit_varchar(" ".join(tokens)) for tokens in tokenize([indexed_text(c) for c in chunks])]
        rows = [
            {
                "id": c.id,
                "doc_id": c.doc_id,
                "source": c.source,
                "organisation": c.organisation,
                "year": c.year,
                "vector": np.asarray(v, dtype=np.float32).tolist(),
                "keywords": k,
            }
            for c, v, k in zip(chunks, vectors, keywords, strict=True)
        ]
        with milvus_errors(self.target):
            for start in range(0, len(rows), BATCH):
                self.client.insert(self.collection, rows[start : start + BATCH])
        for chunk in chunks:
            self._position.setdefault(chunk.id, len(self.chunks))
            self.chunks.append(chunk)

    def delete(self, doc_ids: Sequence[str] | set[str]) -> None:
        """Delete every chunk of the documents `doc_ids`, from the collection and from the chunk list."""
        ids = sorted(doc_ids)
        with milvus_errors(self.target):
            for start in range(0, len(ids), BATCH):
                self.client.delete(self.collection, filter=f"doc_id in {_list(ids[start : start + BATCH])}")
        gone = set(ids)
        self.chunks = [c for c in self.chunks if c.doc_id not in gone]
        self._position = {c.id: i for i, c in enumerate(self.chunks)}

    def flush(self) -> None:
        """Persist the writes so far (Milvus Lite writes a segment; a server seals its growing segments)."""
        with milvus_errors(self.target):
            self.client.flush(self.collection)

    def count(self) -> int:
        """Return the number of chunks in the collection."""
        with milvus_errors(self.target):
            rows = self.client.query(self.collection, filter="", output_fields=["count(*)"])
        return int(rows[0]["count(*)"])

    def vectors_of(self, chunk_ids: Sequence[str]) -> np.ndarray:
        """Return the stored vectors of `chunk_ids`, in that order."""
        found: dict[str, np.ndarray] = {}
        ids = list(chunk_ids)
        with milvus_errors(self.target):
            for start in range(0, len(ids), BATCH):
                for row in self.client.get(self.collection, ids=ids[start : start + BATCH], output_fields=["vector"]):
                    found[row["id"]] = np.asarray(row["vector"], dtype=np.float32)
        missing = [c for c in ids if c not in found]
        if missing:
            raise IndexDamagedError(
                f"{len(missing)} chunks of the index are missing from the {self.target.describe()}; "
                "rebuild it: assistant ingest"
            )
        if not ids:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.vstack([found[c] for c in ids])

    def dense_search(self, query_vector: np.ndarray, k: int, filters: Filters | None = None) -> Ranked:
        """Return up to k (row, cosine) pairs, best first, among rows passing `filters`."""
        if not self.chunks:
            return []
        data = [np.asarray(query_vector, dtype=np.float32).tolist()]
        return self._search(data, "vector", "IP", k, filters)

    def keyword_search(self, query: str, k: int, filters: Filters | None = None) -> Ranked:
        """Return up to k (row, BM25 score) pairs with a positive score, best first, among rows passing `filters`."""
        tokens = tokenize([query])[0]
        if not self.chunks or not tokens:
            return []
        hits = self._search([" ".join(tokens)], "keywords_bm25", "BM25", k, filters)
        # Milvus scores BM25 with the classic (k1 + 1) numerator, bm25s with Lucene's, which drops it; dividing
        # puts both stores' BM25 scores on one scale. Rankings and the (min-max) fusion do not depend on it.
        return [(row, score / (BM25_K1 + 1)) for row, score in hits if score > 0]

    def _search(self, data: list[Any], field: str, metric: str, k: int, filters: Filters | None) -> Ranked:
        with milvus_errors(self.target):
            results = self.client.search(
                self.collection,
                data=data,
                anns_field=field,
                limit=min(k, MAX_LIMIT),
                filter=filter_expression(filters),  # inside the search: k hits that pass, whenever k exist
                output_fields=["id"],
                search_params={"metric_type": metric},
            )
        ranked = []
        for hit in results[0]:
            row = self._position.get(hit["id"])
            # A chunk this generation does not know was written by an ingest still under way: skip it.
            if row is not None:
                # Milvus Lite reports BM25 as a negated distance, a server as a positive score.
                score = abs(float(hit["distance"])) if metric == "BM25" else float(hit["distance"])
                ranked.append((row, score))
        return ranked


def filter_expression(filters: Filters | None) -> str:
    """Return the Milvus boolean expression for `filters` ("" when nothing is filtered)."""
    if not filters:
        return ""
    fields = {"source": filters.sources, "organisation": filters.organisations, "year": filters.years}
    parts = [f"{name} in {_list(sorted(values))}" for name, values in fields.items() if values]
    if filters.hidden:
        parts.append(f"source not in {_list(sorted(filters.hidden))}")
    return " and ".join(parts)


def _list(values: Sequence[str]) -> str:
    return "[" + ", ".join(_quote(v) for v in values) + "]"


def _quote(value: str) -> str:
    """Return `value` as a double-quoted Milvus string literal (C-style escapes)."""
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t") + '"'


def _fit_varchar(text: str) -> str:
    """Return `text` cut to the VARCHAR limit (in UTF-8 bytes) at a token boundary."""
    data = text.encode("utf-8")
    if len(data) <= VARCHAR_MAX:
        return text
    return data[:VARCHAR_MAX].decode("utf-8", "ignore").rsplit(" ", 1)[0]


def connect(target: StoreTarget, token: str = "") -> MilvusClient:
    """Return this process's client for `target` (a Milvus Lite file is opened once per process)."""
    try:
        from pymilvus import MilvusClient
        from pymilvus.exceptions import MilvusException
    except ImportError:
        raise StoreError("The Milvus store needs pymilvus and milvus-lite: pip install -e '.[milvus]'") from None
    key = (target.uri, token)
    with _CLIENTS_LOCK:
        if key not in _CLIENTS:
            _quiet_milvus_logs()
            if "://" not in target.uri:
                Path(target.uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                _CLIENTS[key] = MilvusClient(uri=target.uri, token=token, timeout=CONNECT_TIMEOUT_S)
            except MilvusException as exc:
                raise StoreError(_open_failure(target, exc.message)) from None
        return _CLIENTS[key]


def release(target: StoreTarget) -> None:
    """Close this process's clients for `target`, so another process may open its Milvus Lite file.

    Stores opened through them must not be used afterwards; `connect` opens a new client.
    """
    with _CLIENTS_LOCK:
        for key in [k for k in _CLIENTS if k[0] == target.uri]:
            _CLIENTS.pop(key).close()
    if "://" not in target.uri:
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(target.uri)  # the embedded server holds the file's lock


def _open_failure(target: StoreTarget, reason: str) -> str:
    if "://" in target.uri:
        return f"Cannot reach Milvus at {target.uri} ({reason}); start it, or fix milvus_uri and milvus_token."
    if _lite_file_in_use(Path(target.uri)):
        return (
            f"The Milvus Lite file {target.uri} is open in another process (Milvus Lite admits one process per "
            f"file): stop that process, or serve the file to all of them with `milvus-lite server --data-dir "
            f"{target.uri} --port 19530` and set milvus_uri = http://127.0.0.1:19530."
        )
    return f"Cannot open the Milvus Lite file {target.uri} ({reason})."


def _lite_file_in_use(path: Path) -> bool:
    """Return whether another process holds Milvus Lite's lock on `path` (a folder despite its .db name)."""
    lock = path / "LOCK"
    if not lock.is_file():
        return False
    with lock.open("rb") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle, fcntl.LOCK_UN)
    return False


def _quiet_milvus_logs() -> None:
    # pymilvus and milvus-lite log each failed call with a traceback on stderr; we raise a one-line StoreError.
    for name in ("pymilvus", "milvus_lite"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


@contextlib.contextmanager
def milvus_errors(target: StoreTarget) -> Iterator[None]:
    """Turn pymilvus and gRPC failures inside the block into a one-line StoreError."""
    import grpc
    from pymilvus.exceptions import MilvusException

    try:
        yield
    except MilvusException as exc:
        raise StoreError(f"{target.describe()}: {exc.message}") from None
    except grpc.RpcError as exc:
        raise StoreError(f"{target.describe()}: {exc}") from None
