"""Settings: defaults, assistant.toml, environment, and clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.config import Settings, load_settings
from assistant.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_example_file_holds_exactly_the_defaults() -> None:
    settings = load_settings(REPO / "assistant.example.toml", environ={})
    defaults = Settings()
    for name in defaults.__dataclass_fields__:
        value = getattr(settings, name)
        if isinstance(value, Path) and value != Path(""):  # an empty path means "the default place"
            value = value.relative_to(REPO)
        assert value == getattr(defaults, name), name


def test_file_then_environment_then_overrides(tmp_path: Path) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text('[retrieval]\nretrieval_mode = "bm25"\ntop_k = 7\n[index]\nindex_dir = "idx"\n')
    settings = load_settings(config, environ={"ASSISTANT_TOP_K": "12"})
    assert settings.retrieval_mode == "bm25"
    assert settings.top_k == 12
    assert settings.index_dir == tmp_path / "idx"
    assert load_settings(config, environ={}, top_k=3).top_k == 3


@pytest.mark.parametrize(
    ("text", "environ", "message"),
    [
        ("retreival_mode = 'bm25'", {}, "Unknown setting 'retreival_mode'"),
        ("retrieval_mode = 'magic'", {}, "retrieval_mode must be one of"),
        ("top_k = [", {}, "is not valid TOML"),
        ("", {"ASSISTANT_TOP_K": "many"}, "Setting 'top_k' has an invalid value 'many'"),
    ],
)
def test_bad_settings_are_explained(tmp_path: Path, text: str, environ: dict[str, str], message: str) -> None:
    config = tmp_path / "assistant.toml"
    config.write_text(text)
    with pytest.raises(ConfigError, match=message):
        load_settings(config, environ=environ)


def test_store_settings_from_file_environment_and_their_errors(tmp_path: Path) -> None:
    from assistant.index.store import StoreTarget

    config = tmp_path / "assistant.toml"
    config.write_text('[store]\nstore = "milvus"\nmilvus_uri = "idx/milvus.db"\n')
    settings = load_settings(config, environ={})
    assert StoreTarget.from_settings(settings) == StoreTarget("milvus", str(tmp_path / "idx" / "milvus.db"), "chunks")
    server = load_settings(config, environ={"ASSISTANT_MILVUS_URI": "http://milvus:19530", "ASSISTANT_STORE": "milvus"})
    assert StoreTarget.from_settings(server).uri == "http://milvus:19530"
    default = load_settings(tmp_path / "none.toml", environ={"ASSISTANT_STORE": "milvus"}, index_dir=tmp_path / "ix")
    assert StoreTarget.from_settings(default).uri == str(tmp_path / "ix" / "milvus.db")  # Lite, beside the index
    assert StoreTarget.from_settings(load_settings(config, environ={}, store="faiss")) == StoreTarget("faiss")

    with pytest.raises(ConfigError, match="store must be faiss or milvus"):
        load_settings(config, environ={"ASSISTANT_STORE": "chroma"})
    with pytest.raises(ConfigError, match="milvus_collection must be letters"):
        load_settings(config, environ={"ASSISTANT_MILVUS_COLLECTION": "my-chunks"})
    with pytest.raises(ConfigError, match="neither a Milvus Lite file"):
        StoreTarget.from_settings(load_settings(config, environ={"ASSISTANT_MILVUS_URI": "index/milvus"}))


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("answerer", "llama", "answerer must be extractive or generative"),
        ("fusion", "sum", "fusion must be weighted or rrf"),
        ("store", "chroma", "store must be faiss or milvus"),
        ("retrieval_mode", "magic", "retrieval_mode must be one of bm25, dense, hybrid, hybrid"),
        ("milvus_collection", "my-chunks", "milvus_collection must be letters"),
    ],
)
def test_settings_cannot_be_built_or_replaced_with_an_invalid_choice(field: str, value: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        Settings(**{field: value})
    with pytest.raises(ConfigError, match=message):
        Settings().replace(**{field: value})
