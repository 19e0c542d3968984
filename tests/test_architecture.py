"""The layering of src/ardoise is a test: the import graph, built from the AST, must follow
the contract declared in src/ardoise/ARCHITECTURE.toml.

Every import counts: top-level, inside a function, and under ``if TYPE_CHECKING:`` (a
type-only import that closes a loop still means no module of the loop can be read on its
own). An import names the module it reads: ``from ardoise.query.territories import levels``
is an edge to ``ardoise.query.territories.levels``, ``from ardoise.indicators import
compute_indicators`` an edge to the package ``ardoise.indicators`` (its ``__init__``).

The test fails, naming file and line, on an import between two parts that is not a
declared arrow, on an edge of the ``never`` list, on a cycle between parts or between
modules, on a declared arrow that no import uses, and when the README's architecture
section is not the one generated from the contract. To regenerate that section::

    python tests/test_architecture.py readme
"""

from __future__ import annotations

import ast
import itertools
import sys
import tomllib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "ardoise"
CONTRACT = SRC / "ARCHITECTURE.toml"
README = ROOT / "README.md"
BEGIN = "<!-- début : généré depuis src/ardoise/ARCHITECTURE.toml (tests/test_architecture.py) -->"
END = "<!-- fin de la partie générée -->"
_PART_KEYS = ("is", "says", "imports", "why", "floor")


@dataclass(frozen=True)
class Part:
    name: str
    paths: tuple[str, ...]  # relative to src/ardoise: "query/" (a folder) or "cli.py"
    says: str
    imports: tuple[str, ...] = ()
    why: dict[str, str] = field(default_factory=dict)
    floor: bool = False


@dataclass(frozen=True)
class Contract:
    parts: dict[str, Part]
    never: dict[tuple[str, str], str]  # (from, to) → why

    def arrows(self) -> set[tuple[str, str]]:
        return {(p.name, t) for p in self.parts.values() for t in p.imports}


@dataclass(frozen=True)
class Import:
    source: str  # the importing module, "ardoise.api.v1"
    target: str  # the module it reads
    path: Path
    line: int
    kind: str  # "top-level", "function" or "TYPE_CHECKING"
    statement: str

    def __str__(self) -> str:
        where = f"{self.path.relative_to(ROOT)}:{self.line}"
        return f"{where}: {self.statement}  [{self.kind}]"


@cache
def contract() -> Contract:
    raw = tomllib.loads(CONTRACT.read_text("utf-8"))
    parts = {
        name: Part(
            name=name,
            paths=tuple(spec["is"]),
            says=spec["says"],
            imports=tuple(spec.get("imports", ())),
            why=dict(spec.get("why", {})),
            floor=bool(spec.get("floor", False)),
        )
        for name, spec in raw["parts"].items()
    }
    never = {(a, b): why for a, b, why in raw.get("never", ())}
    return Contract(parts, never)


@cache
def modules() -> dict[str, Path]:
    """Every module of src/ardoise: dotted name → file (a package is its ``__init__.py``)."""
    found = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = ["ardoise", *path.relative_to(SRC).with_suffix("").parts]
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def part_of(module: str) -> str | None:
    """The part holding ``module``: the longest of the declared paths that contains it."""
    relative = modules()[module].relative_to(SRC).as_posix()
    best: tuple[int, str] | None = None
    for part in contract().parts.values():
        for path in part.paths:
            if (relative == path or (path.endswith("/") and relative.startswith(path))) and (
                best is None or len(path) > best[0]
            ):
                best = (len(path), part.name)
    return best[1] if best else None


def _resolve(name: str) -> str | None:
    """The module ``name`` reads: itself, or its nearest enclosing module (an attribute)."""
    while name:
        if name in modules():
            return name
        name = name.rpartition(".")[0]
    return None


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _statements(node: ast.AST, kind: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.Import | ast.ImportFrom):
            yield child, kind
        elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
            yield from _statements(child, "function" if kind == "top-level" else kind)
        elif isinstance(child, ast.If) and _is_type_checking(child.test):
            for stmt in child.body:
                yield from _statements(ast.Module(body=[stmt], type_ignores=[]), "TYPE_CHECKING")
            for stmt in child.orelse:
                yield from _statements(ast.Module(body=[stmt], type_ignores=[]), kind)
        else:
            yield from _statements(child, kind)


def _targets(module: str, path: Path, stmt: ast.Import | ast.ImportFrom) -> Iterator[str]:
    if isinstance(stmt, ast.Import):
        for alias in stmt.names:
            if alias.name == "ardoise" or alias.name.startswith("ardoise."):
                found = _resolve(alias.name)
                if found:
                    yield found
        return
    base = stmt.module or ""
    if stmt.level:  # relative: from the package of this module
        package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
        package = package[: len(package) - (stmt.level - 1)]
        base = ".".join([*package, *([base] if base else [])])
    if base != "ardoise" and not base.startswith("ardoise."):
        return
    for alias in stmt.names:
        found = _resolve(f"{base}.{alias.name}") if f"{base}.{alias.name}" in modules() else None
        found = found or _resolve(base)
        if found:
            yield found


@cache
def imports() -> tuple[Import, ...]:
    """Every import of an Ardoise module by an Ardoise module (one per imported module)."""
    out: list[Import] = []
    for module, path in modules().items():
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for stmt, kind in _statements(tree, "top-level"):
            text = ast.unparse(stmt)
            for target in dict.fromkeys(_targets(module, path, stmt)):
                if target != module:
                    out.append(Import(module, target, path, stmt.lineno, kind, text))
    return tuple(out)


def crossing() -> Iterator[tuple[str, str, Import]]:
    """The imports from one part to another: (from part, to part, import)."""
    for imp in imports():
        a, b = part_of(imp.source), part_of(imp.target)
        if a is not None and b is not None and a != b:
            yield a, b, imp


def _cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """One cycle (as a node path, first node repeated last) per strongly connected component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def connect(v: str) -> None:  # Tarjan
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for v in sorted(edges):
        if v not in index:
            connect(v)
    cycles = []
    for component in components:
        members = set(component)
        start = component[0]
        paths = {start: [start]}
        queue = [start]
        while queue:  # breadth first, inside the component, back to the start
            v = queue.pop(0)
            for w in sorted(edges[v] & members):
                if w == start:
                    cycles.append([*paths[v], start])
                    queue = []
                    break
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    queue.append(w)
    return cycles


# --- the contract itself ------------------------------------------------------------------


def test_the_contract_is_consistent() -> None:
    c = contract()
    problems: list[str] = []
    raw = tomllib.loads(CONTRACT.read_text("utf-8"))
    problems += [f"unknown top-level key {k!r}" for k in raw if k not in ("parts", "never")]
    for name, spec in raw["parts"].items():
        problems += [f"part {name}: unknown key {k!r}" for k in spec if k not in _PART_KEYS]
    for part in c.parts.values():
        for path in part.paths:
            if not (SRC / path).exists():
                problems.append(f"part {part.name}: {path} does not exist under src/ardoise")
        for target in part.imports:
            if target not in c.parts:
                problems.append(f"part {part.name} imports unknown part {target!r}")
            elif c.parts[target].floor:
                problems.append(f"part {part.name}: floor part {target} needs no arrow")
        if part.floor and part.imports:
            problems.append(f"floor part {part.name} imports only floor parts: no arrows")
        problems += [
            f"part {part.name}: why.{t} explains no arrow"
            for t in part.why
            if t not in part.imports
        ]
    for a, b in c.never:
        if a not in c.parts or b not in c.parts:
            problems.append(f"never: unknown part in {a} → {b}")
        if (a, b) in c.arrows():
            problems.append(f"{a} → {b} is both an arrow and in never ({c.never[(a, b)]})")
    declared: dict[str, set[str]] = defaultdict(set)
    for a, b in c.arrows():
        declared[a].add(b)
    problems += [f"the declared arrows loop: {' → '.join(cy)}" for cy in _cycles(declared)]
    assert not problems, "src/ardoise/ARCHITECTURE.toml:\n" + "\n".join(problems)


def test_every_module_belongs_to_a_part() -> None:
    lost = [str(path.relative_to(ROOT)) for m, path in modules().items() if part_of(m) is None]
    assert not lost, "modules in no part of src/ardoise/ARCHITECTURE.toml:\n" + "\n".join(lost)


# --- the code against the contract ---------------------------------------------------------


def test_no_forbidden_edge() -> None:
    never = contract().never
    found = [
        f"{imp}\n    {a} → {b} is forbidden: {never[(a, b)]}"
        for a, b, imp in crossing()
        if (a, b) in never
    ]
    assert not found, "forbidden imports:\n" + "\n".join(found)


def test_every_arrow_is_declared() -> None:
    c = contract()
    arrows = c.arrows()
    found = []
    for a, b, imp in crossing():
        if c.parts[a].floor and not c.parts[b].floor:
            found.append(f"{imp}\n    floor part {a} may import only floor parts, not {b}")
        elif not c.parts[b].floor and (a, b) not in arrows:
            found.append(f"{imp}\n    {a} → {b} is not an arrow of src/ardoise/ARCHITECTURE.toml")
    assert not found, "undeclared imports between parts:\n" + "\n".join(found)


def test_every_declared_arrow_is_used() -> None:
    used = {(a, b) for a, b, _ in crossing()}
    stale = sorted(contract().arrows() - used)
    assert not stale, (
        "arrows of src/ardoise/ARCHITECTURE.toml that no import uses (remove them, then run "
        "`python tests/test_architecture.py readme`):\n" + "\n".join(f"{a} → {b}" for a, b in stale)
    )


def test_no_cycle_between_parts() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    witness: dict[tuple[str, str], Import] = {}
    for a, b, imp in crossing():
        edges[a].add(b)
        witness.setdefault((a, b), imp)
    cycles = _cycles(edges)
    assert not cycles, "cycles between parts:\n" + _described(cycles, witness)


def test_no_cycle_between_modules() -> None:
    edges: dict[str, set[str]] = defaultdict(set)
    witness: dict[tuple[str, str], Import] = {}
    for imp in imports():
        edges[imp.source].add(imp.target)
        witness.setdefault((imp.source, imp.target), imp)
    cycles = _cycles(edges)
    assert not cycles, "cycles between modules (TYPE_CHECKING imports count):\n" + _described(
        cycles, witness
    )


def _described(cycles: list[list[str]], witness: dict[tuple[str, str], Import]) -> str:
    """Each cycle as its path, then the import (file:line) behind each of its edges."""
    return "\n\n".join(
        " → ".join(cycle) + "\n" + "\n".join(f"  {witness[e]}" for e in itertools.pairwise(cycle))
        for cycle in cycles
    )


# --- the README shows the same picture ------------------------------------------------------


def readme_section() -> str:
    """The README's generated part: one row per part, the floor, the forbidden edges."""
    c = contract()
    lines = [BEGIN, "", "| partie | rôle | importe |", "|---|---|---|"]
    for part in c.parts.values():
        if part.floor:
            continue
        targets = ", ".join(
            f"`{t}`" + (f" ({part.why[t]})" if t in part.why else "") for t in part.imports
        )
        paths = ", ".join(f"`{p}`" for p in part.paths)
        lines.append(f"| {paths} | {part.says} | {targets or '—'} |")
    lines += ["", "Le socle, que toute partie peut importer et qui n'importe que le socle :", ""]
    lines += [
        f"- `{p}` : {part.says}" for part in c.parts.values() if part.floor for p in part.paths
    ]
    lines += ["", "Ne sont jamais des flèches :", ""]
    by_reason: dict[str, list[str]] = {}
    for (a, b), why in c.never.items():
        by_reason.setdefault(why, []).append(f"`{a}` → `{b}`")
    lines += [f"- {', '.join(edges)} : {why}" for why, edges in by_reason.items()]
    lines += ["", END]
    return "\n".join(lines)


def _readme_parts() -> tuple[str, str, str]:
    text = README.read_text("utf-8")
    start, end = text.find(BEGIN), text.find(END)
    assert 0 <= start < end, f"README.md has no generated architecture part ({BEGIN} … {END})"
    return text[:start], text[start : end + len(END)], text[end + len(END) :]


def test_the_readme_shows_the_contract() -> None:
    _, shown, _ = _readme_parts()
    assert shown == readme_section(), (
        "README.md's architecture part differs from src/ardoise/ARCHITECTURE.toml: "
        "run `python tests/test_architecture.py readme`"
    )


if __name__ == "__main__" and sys.argv[1:] == ["readme"]:
    before, _, after = _readme_parts()
    README.write_text(before + readme_section() + after, "utf-8")
    print(f"{README.relative_to(ROOT)}: architecture part regenerated")
