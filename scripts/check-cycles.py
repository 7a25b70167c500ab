#!/usr/bin/env python3
"""Finds files that import each other in a circle, inside each crate.

    scripts/check-cycles.py [CRATE_DIR ...]    (default: every crate of the workspace)

A file depends on another when it names an item of the other's module through
a path (`use crate::a::b::Item;`, `super::x::f()`, `crate::a::b::f()` in a
body). Re-exports (`pub use child::Item;` in a `mod.rs` or `lib.rs`) are
followed to the file that defines the item, so a facade module is not a node
of its own. Declaring a module (`mod child;`) is not a dependency. Prints each
cycle and exits 1 when there is one, 0 otherwise. Uses only the standard library.
"""

from __future__ import annotations

import os
import re
import sys
from collections import defaultdict

TOKEN = re.compile(
    r"""
    (?P<comment>//[^\n]*|/\*.*?\*/)
  | (?P<string>b?r(?P<hashes>\#*)".*?"(?P=hashes)|b?"(?:\\.|[^"\\])*")
  | (?P<char>b?'(?:\\.|[^'\\])'(?!'))
  | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<path>::)
  | (?P<punct>[{}();,*])
  | (?P<other>\S)
    """,
    re.S | re.X,
)


def tokens(text: str) -> list[str]:
    out = []
    for m in TOKEN.finditer(text):
        kind = m.lastgroup
        if kind in ("comment", "string", "char", "hashes"):
            continue
        out.append(m.group())
    return out


class Crate:
    def __init__(self, src: str):
        self.src = src
        # module path (tuple) -> file, for modules that are files
        self.files: dict[tuple, str] = {}
        # file -> module path of the file
        self.module_of: dict[str, tuple] = {}
        # module path -> {name: absolute path tuple} for `pub use` re-exports
        self.reexports: dict[tuple, dict[str, tuple]] = defaultdict(dict)
        # (file, inline module path) uses: list of absolute paths
        self.uses: dict[str, list[tuple]] = defaultdict(list)

    def discover(self) -> None:
        roots = [f for f in ("lib.rs", "main.rs") if os.path.exists(os.path.join(self.src, f))]
        for root in roots:
            self._walk(os.path.join(self.src, root), ())
        # binaries under src/bin are crates of their own: not walked.

    def _walk(self, path: str, module: tuple) -> None:
        if path in self.module_of:
            return
        self.files[module] = path
        self.module_of[path] = module
        with open(path, encoding="utf-8") as f:
            toks = tokens(f.read())
        base_dir = os.path.dirname(path)
        name = os.path.basename(path)
        if name not in ("lib.rs", "main.rs", "mod.rs"):
            base_dir = os.path.join(base_dir, name[:-3])
        self._scan(path, toks, module, base_dir)

    def _scan(self, path: str, toks: list[str], module: tuple, base_dir: str) -> None:
        # Stack of (inline module path, brace depth at which it closes).
        stack: list[tuple[tuple, int]] = []
        depth = 0
        i = 0
        n = len(toks)
        while i < n:
            t = toks[i]
            current = stack[-1][0] if stack else module
            if t == "{":
                depth += 1
            elif t == "}":
                depth -= 1
                if stack and depth < stack[-1][1]:
                    stack.pop()
            elif t == "mod" and i + 2 < n and re.match(r"[A-Za-z_]", toks[i + 1]):
                child = toks[i + 1]
                if toks[i + 2] == ";":
                    sub = current + (child,)
                    if not stack:
                        for candidate in (
                            os.path.join(base_dir, child + ".rs"),
                            os.path.join(base_dir, child, "mod.rs"),
                        ):
                            if os.path.exists(candidate):
                                self._walk(candidate, sub)
                                break
                    i += 3
                    continue
                if toks[i + 2] == "{":
                    depth += 1
                    stack.append((current + (child,), depth))
                    self.files.setdefault(current + (child,), path)
                    i += 3
                    continue
            elif t == "use":
                public = i > 0 and (toks[i - 1] == "pub" or toks[i - 1] == ")")
                j = i + 1
                while j < n and toks[j] != ";":
                    j += 1
                for leaf in expand_use(toks[i + 1 : j]):
                    absolute = self._absolute(leaf, current, path)
                    if absolute is None:
                        continue
                    if public and leaf[-1] not in ("*", "self"):
                        self.reexports[current][leaf[-1]] = absolute
                    elif public and leaf[-1] == "self":
                        self.reexports[current][leaf[-2]] = absolute[:-1]
                    else:
                        self.uses[path].append(absolute)
                i = j + 1
                continue
            elif t in ("crate", "super", "self") and i + 1 < n and toks[i + 1] == "::":
                segs = [t]
                j = i + 1
                while j + 1 < n and toks[j] == "::" and re.match(r"[A-Za-z_]", toks[j + 1]):
                    segs.append(toks[j + 1])
                    j += 2
                absolute = self._absolute(tuple(segs), current, path)
                if absolute is not None:
                    self.uses[path].append(absolute)
                i = j
                continue
            i += 1

    def _absolute(self, segs: tuple, current: tuple, path: str) -> tuple | None:
        if not segs:
            return None
        head = segs[0]
        if head == "crate":
            return tuple(segs[1:])
        if head == "self":
            return current + tuple(segs[1:])
        if head == "super":
            mod = current
            rest = list(segs)
            while rest and rest[0] == "super":
                if not mod:
                    return None
                mod = mod[:-1]
                rest.pop(0)
            return mod + tuple(rest)
        # `use child::x` naming a module declared here.
        if current + (head,) in self.files:
            return current + tuple(segs)
        return None

    def file_of(self, absolute: tuple, seen: int = 0) -> str | None:
        """The file that defines the item (or module) at `absolute`."""
        if seen > 16:
            return None
        for k in range(len(absolute), -1, -1):
            prefix = absolute[:k]
            if prefix in self.files:
                rest = absolute[k:]
                if rest:
                    target = self.reexports.get(prefix, {}).get(rest[0])
                    if target is not None and target != absolute:
                        return self.file_of(target + rest[1:], seen + 1)
                return self.files[prefix]
        return None

    def edges(self) -> dict[str, set[str]]:
        graph: dict[str, set[str]] = defaultdict(set)
        for path, uses in self.uses.items():
            for absolute in uses:
                target = self.file_of(absolute)
                if target and target != path:
                    graph[path].add(target)
        return graph


def expand_use(toks: list[str]) -> list[tuple]:
    """`a::{b, c::{d, e}}` -> [(a, b), (a, c, d), (a, c, e)]; drops `as` renames."""
    out: list[tuple] = []

    def parse(i: int, prefix: tuple) -> int:
        segs = list(prefix)
        while i < len(toks):
            t = toks[i]
            if t == "{":
                i += 1
                while i < len(toks) and toks[i] != "}":
                    i = parse(i, tuple(segs))
                    if i < len(toks) and toks[i] == ",":
                        i += 1
                return i + 1
            if t in (",", "}"):
                if len(segs) > len(prefix):
                    out.append(tuple(segs))
                return i
            if t == "::":
                i += 1
                continue
            if t == "as":
                i += 2
                continue
            segs.append(t)
            i += 1
        if len(segs) > len(prefix):
            out.append(tuple(segs))
        return i

    parse(0, ())
    return out


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one file (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
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
                found.append(sorted(component))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def workspace_crates(root: str) -> list[str]:
    with open(os.path.join(root, "Cargo.toml"), encoding="utf-8") as f:
        text = f.read()
    m = re.search(r"members\s*=\s*\[(.*?)\]", text, re.S)
    members = re.findall(r'"([^"]+)"', m.group(1)) if m else []
    return [os.path.join(root, member) for member in members]


def main(argv: list[str]) -> int:
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    crates = argv or workspace_crates(root)
    failed = False
    for crate_dir in crates:
        crate = Crate(os.path.join(crate_dir, "src"))
        crate.discover()
        for component in cycles(crate.edges()):
            failed = True
            graph = crate.edges()
            rel = lambda p: os.path.relpath(p, root)  # noqa: E731
            print(f"import cycle in {os.path.relpath(crate_dir, root)}/:")
            for f in component:
                targets = sorted(rel(t) for t in graph[f] if t in component)
                print(f"  {rel(f)} -> {', '.join(targets)}")
    if not failed:
        print(f"check-cycles: no import cycles between files ({len(crates)} crates)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
