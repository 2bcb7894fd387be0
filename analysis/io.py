"""Byte-stable, atomic file writing.

Every output goes to a temporary file in the target directory and is renamed
into place, so an interrupted job never leaves a half-written file. Floats are
written with a fixed format, keys are sorted, and line endings are ``\\n``, so
the same content always gives the same bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import yaml

FLOAT_FORMAT = "%.6g"


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike, mode: str = "w") -> Iterator[IO]:
    """Open a temporary sibling of ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    # A job killed mid-write leaves its temporary file behind; the rerun clears it.
    for stale in target.parent.glob(f".{target.name}.*.part"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    try:
        kwargs: dict[str, Any] = {} if "b" in mode else {"encoding": "utf-8", "newline": "\n"}
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` atomically (UTF-8, ``\\n`` line endings)."""
    with atomic_open(path) as fh:
        fh.write(text)


def write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write ``data`` atomically."""
    with atomic_open(path, "wb") as fh:
        fh.write(data)


def write_csv(path: str | os.PathLike, frame: Any) -> None:
    """Write a DataFrame as CSV with a fixed float format and no index."""
    write_text(path, frame.to_csv(index=False, float_format=FLOAT_FORMAT, lineterminator="\n"))


def _plain(value: Any) -> Any:
    """Convert numpy scalars and tuples to plain Python for YAML/JSON."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, str | bytes):
        return value.item()
    return value


def write_json(path: str | os.PathLike, data: Any) -> None:
    """Write JSON with sorted keys, two-space indent and a final newline."""
    text = json.dumps(_plain(data), indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    write_text(path, text + "\n")


def write_yaml(path: str | os.PathLike, data: Any) -> None:
    """Write YAML with sorted keys and block style."""
    text = yaml.safe_dump(_plain(data), sort_keys=True, allow_unicode=True, width=1000)
    write_text(path, text)


def write_pickle(path: str | os.PathLike, data: Any) -> None:
    """Write a Python object with :mod:`pickle` atomically (intermediate results only)."""
    import pickle

    with atomic_open(path, "wb") as fh:
        pickle.dump(data, fh, protocol=pickle.HIGHEST_PROTOCOL)


def read_pickle(path: str | os.PathLike) -> Any:
    """Read what :func:`write_pickle` wrote (files this workflow made itself only)."""
    import pickle

    with open(path, "rb") as fh:
        return pickle.load(fh)


#: PyYAML's libyaml loader where the installed wheel has it (the same documents as
#: ``yaml.SafeLoader``, several times faster: every Snakemake run reads the configuration,
#: its schema and the registry while it builds the DAG).
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
BASE_LOADER = getattr(yaml, "CBaseLoader", yaml.BaseLoader)


def load_yaml(text: str | IO[str]) -> Any:
    """Parse YAML text or an open file safely (:data:`SAFE_LOADER`)."""
    return yaml.load(text, Loader=SAFE_LOADER)


def read_yaml(path: str | os.PathLike) -> Any:
    """Read a YAML file."""
    with open(path, encoding="utf-8") as fh:
        return load_yaml(fh)


def read_json(path: str | os.PathLike) -> Any:
    """Read a JSON file."""
    with open(path, encoding="utf-8") as fh:
        return json.load(fh)


def sha256(path: str | os.PathLike) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_csv(path: str | os.PathLike, **kwargs: Any):
    """Read a CSV written by :func:`write_csv`: only empty fields are missing.

    pandas would otherwise read the scenario name "null" (and "NA", "n/a" ...)
    as missing values.
    """
    import pandas as pd

    return pd.read_csv(path, keep_default_na=False, na_values=[""], **kwargs)
