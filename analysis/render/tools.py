"""Which engine renders the manuscript on this machine, and the versions of its tools.

The workflow asks :func:`detect` once, when it reads the rules, and gives the
answer to the values step, which writes it into ``values.yml``
(``render_engine``, and the rows of the software table); the render step asks
again and refuses to render when ``values.yml`` names another engine. So the
manuscript states the engine that really rendered it, whether it is rendered
by the workflow or directly with ``quarto render``.

The versions are the tools' own: for Quarto, the Pandoc and Typst that Quarto
runs (``quarto pandoc --version``, ``quarto typst --version``); for the
fallback, the Pandoc binary of ``pypandoc-binary`` and the Typst compiler
inside the ``typst`` Python package (its ``sys.version``), which is not the
package's own version number.
"""

from __future__ import annotations

import functools
import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import metadata
from typing import Any

ENGINES = ("quarto", "pandoc")


class EngineError(ValueError):
    """The requested engine is not available or does not report its versions."""


@dataclass(frozen=True)
class RenderTools:
    """One render engine and what it is made of.

    Attributes
    ----------
    engine : {"quarto", "pandoc"}
        ``quarto``, or ``pandoc`` for the Pandoc + Typst fallback.
    label : str
        What the manuscript prints, e.g. ``"quarto 1.7.34 (pandoc 3.6.1, typst 0.13.1)"``.
    software : tuple of (str, str)
        Rows of the manuscript's software table: what each tool is, and its version.
    """

    engine: str
    label: str
    software: tuple[tuple[str, str], ...]

    def as_dict(self) -> dict[str, Any]:
        """A JSON-ready mapping (``engine``, ``label``, ``software`` as name -> version)."""
        return {"engine": self.engine, "label": self.label, "software": dict(self.software)}

    def to_json(self) -> str:
        """One-line JSON, as the workflow passes it to the values step."""
        return json.dumps(self.as_dict(), separators=(",", ":"))

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> RenderTools:
        """The inverse of :meth:`as_dict`; fails naming what is wrong."""
        if not isinstance(data, Mapping):
            raise EngineError("render tools: expected a JSON object")
        engine, label, software = data.get("engine"), data.get("label"), data.get("software")
        if engine not in ENGINES:
            raise EngineError(f"render tools: engine is {engine!r}, expected one of {ENGINES}")
        if not isinstance(label, str) or not label:
            raise EngineError("render tools: 'label' must be a non-empty string")
        if not isinstance(software, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in software.items()
        ):
            raise EngineError("render tools: 'software' must map names to version strings")
        return cls(engine, label, tuple(software.items()))

    @classmethod
    def from_json(cls, text: str) -> RenderTools:
        """Parse :meth:`to_json` output."""
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise EngineError(f"render tools: not JSON: {exc}") from None
        return cls.from_mapping(data)


def _run(cmd: list[str]) -> str:
    """The stdout of a version command; fail naming the command."""
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, check=False, timeout=120)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise EngineError(f"`{' '.join(cmd)}` could not run: {exc}") from None
    if proc.returncode != 0 or not proc.stdout.strip():
        detail = (proc.stderr or proc.stdout).strip().splitlines()[:1]
        raise EngineError(f"`{' '.join(cmd)}` failed (exit {proc.returncode})"
                          + (f": {detail[0]}" if detail else ""))
    return proc.stdout.strip()


def _second_word(text: str, cmd: str) -> str:
    """``3.6.1`` from ``pandoc 3.6.1 ...`` (the first line)."""
    words = text.splitlines()[0].split()
    if len(words) < 2:
        raise EngineError(f"`{cmd}` printed no version: {text[:80]!r}")
    return words[1]


@functools.cache
def quarto_tools(quarto: str) -> RenderTools:
    """Quarto's version and the versions of the Pandoc and Typst it runs (asked once)."""
    version = _run([quarto, "--version"]).splitlines()[0].strip()
    # The two sub-commands start Quarto's runtime (about half a second each): run together.
    cmds = {"pandoc": [quarto, "pandoc", "--version"], "typst": [quarto, "typst", "--version"]}
    procs = {k: subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for k, c in cmds.items()}
    found = {}
    for key, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        cmd = " ".join(["quarto", *cmds[key][1:]])
        text = out.strip() or err.strip()  # `quarto typst --version` answers on stderr
        if proc.returncode != 0 or not text:
            raise EngineError(f"`{cmd}` failed (exit {proc.returncode}): "
                              f"{(err or out).strip()[:200]}")
        found[key] = _second_word(text, cmd)
    return RenderTools(
        engine="quarto",
        label=f"quarto {version} (pandoc {found['pandoc']}, typst {found['typst']})",
        software=(("Quarto (render engine)", version),
                  ("Pandoc, run by Quarto", found["pandoc"]),
                  ("Typst compiler, run by Quarto", found["typst"])),
    )


@functools.cache
def pandoc_tools() -> RenderTools:
    """The fallback: the Pandoc of ``pypandoc-binary`` and the Typst compiler of ``typst``."""
    try:
        import pypandoc
        import typst
    except ImportError as exc:
        raise EngineError(f"the fallback renderer needs {exc.name} (pip install -e .)") from None
    pandoc = _second_word(_run([pypandoc.get_pandoc_path(), "--version"]), "pandoc --version")
    compiler = json.loads(typst.query(b"#metadata(str(sys.version)) <v>", "<v>",
                                      field="value", one=True))
    wrappers = {name: metadata.version(name) for name in ("pypandoc-binary", "typst")}
    return RenderTools(
        engine="pandoc",
        label=f"pandoc {pandoc} + typst {compiler}",
        software=((f"Pandoc (render engine; pypandoc-binary {wrappers['pypandoc-binary']})",
                   pandoc),
                  (f"Typst compiler (typst {wrappers['typst']} Python package)", compiler)),
    )


def detect(engine: str = "auto") -> RenderTools:
    """The tools of ``engine``; ``auto`` is Quarto when ``quarto`` is on ``PATH``.

    Raises
    ------
    EngineError
        ``quarto`` was requested but is not on ``PATH``, the engine is unknown,
        or a tool does not report its version.
    """
    quarto = shutil.which("quarto")
    if engine == "auto":
        engine = "quarto" if quarto else "pandoc"
    if engine == "quarto":
        if quarto is None:
            raise EngineError("engine 'quarto' requested but the quarto command is not on PATH")
        return quarto_tools(quarto)
    if engine == "pandoc":
        return pandoc_tools()
    raise EngineError(f"unknown engine {engine!r} (use auto, quarto or pandoc)")
