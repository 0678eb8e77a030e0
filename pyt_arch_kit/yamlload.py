"""YAML as people mean it: YAML 1.2 scalars, and a key given twice is an error.

PyYAML reads YAML 1.1, where ``yes``/``no``/``on``/``off`` are booleans, ``1:30`` is the
sexagesimal number 90, ``010`` is octal 8 and ``2024-01-01`` a date; and a mapping that names a
key twice silently keeps the last value. In a requirements file each of these turns a typo into a
quietly different system. :func:`load` reads the YAML 1.2 core schema instead (``true``/``false``
only, decimal, ``0o`` and ``0x`` integers, no sexagesimal numbers or dates: those stay text, and
the field then says it wants a number) and refuses duplicate keys, naming the key's path and line.

Example:
    >>> load("scale: {peak_rps: 1:30}\\nname: yes")
    {'scale': {'peak_rps': '1:30'}, 'name': 'yes'}
    >>> load("a: 1\\na: 2")
    Traceback (most recent call last):
    ...
    pyt_arch_kit.yamlload.DuplicateKeyError: a: line 2: given twice; keep one of them
"""

from __future__ import annotations

import re
from typing import Any

import yaml

__all__ = ["AliasExpansionError", "DuplicateKeyError", "load"]


class DuplicateKeyError(ValueError):
    """A mapping names the same key twice.

    Attributes:
        path: the key's dotted path (``scale.peak_rps``).
        line: the 1-based line of the second occurrence.
    """

    def __init__(self, path: str, line: int) -> None:
        super().__init__(f"{path}: line {line}: given twice; keep one of them")
        self.path = path
        self.line = line


class AliasExpansionError(ValueError):
    """Aliases (``*name``) repeat the document far beyond its written size (an alias bomb).

    Attributes:
        values: how many values the aliases would expand to (at least).
    """

    def __init__(self, values: int) -> None:
        super().__init__(
            f"its aliases (*name) expand to more than {values:,} values; write the values out "
            "or use fewer aliases"
        )
        self.values = values


#: The values a document may expand to through aliases: this many, or 10× its written nodes.
MAX_EXPANDED_VALUES = 100_000
_EXPANSION_FACTOR = 10


class _Loader(yaml.SafeLoader):
    """SafeLoader with the YAML 1.2 core schema's booleans and numbers, and no timestamps."""


_DROPPED = {
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:timestamp",
}
_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_BOOL = re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$")
_INT = re.compile(r"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$")
_FLOAT = re.compile(
    r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
)
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", _BOOL, list("tTfF"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:int", _INT, list("-+0123456789"))
_Loader.add_implicit_resolver("tag:yaml.org,2002:float", _FLOAT, list("-+0123456789."))


def _bool(loader: _Loader, node: yaml.Node) -> bool:
    return str(loader.construct_scalar(node)).lower() == "true"  # type: ignore[arg-type]


def _int(loader: _Loader, node: yaml.Node) -> int:
    text = str(loader.construct_scalar(node))  # type: ignore[arg-type]
    if text.startswith("0o"):
        return int(text[2:], 8)
    if text.startswith("0x"):
        return int(text[2:], 16)
    return int(text, 10)


def _float(loader: _Loader, node: yaml.Node) -> float:
    text = str(loader.construct_scalar(node)).lower()  # type: ignore[arg-type]
    if text.endswith(".inf"):
        return float("-inf") if text.startswith("-") else float("inf")
    if text == ".nan":
        return float("nan")
    return float(text)


_Loader.add_constructor("tag:yaml.org,2002:bool", _bool)
_Loader.add_constructor("tag:yaml.org,2002:int", _int)
_Loader.add_constructor("tag:yaml.org,2002:float", _float)


def _key_text(node: yaml.Node) -> str:
    value = node.value if isinstance(node, yaml.ScalarNode) else "…"
    text = str(value)
    text = "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)
    return text if len(text) <= 40 else text[:39] + "…"


def _check_keys(root: yaml.Node) -> None:
    """Raise :class:`DuplicateKeyError` for the first mapping that repeats a key.

    Each node is visited once (aliases share nodes), so an alias bomb costs nothing here.
    """
    seen: set[int] = set()
    todo: list[tuple[yaml.Node, str]] = [(root, "")]
    while todo:
        node, path = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, yaml.MappingNode):
            keys: set[tuple[str, str]] = set()
            for key, value in node.value:
                name = _key_text(key)
                where = f"{path}.{name}" if path else name
                if isinstance(key, yaml.ScalarNode) and key.tag != "tag:yaml.org,2002:merge":
                    ident = (key.tag, str(key.value))
                    if ident in keys:
                        raise DuplicateKeyError(where, key.start_mark.line + 1)
                    keys.add(ident)
                todo.append((value, where))
        elif isinstance(node, yaml.SequenceNode):
            todo.extend((item, f"{path}[{i}]") for i, item in enumerate(node.value))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Raise :class:`AliasExpansionError` if aliases repeat the document far past its size.

    PyYAML shares an aliased node rather than copying it, so loading is cheap; but anything that
    walks the data (a message's ``repr``, validation, JSON) walks every repetition: nine lists of
    nine, nine deep, is 387 million values. Each node's expanded size is counted once (memoised),
    so this is linear in the written document; a node that contains itself counts once.
    """
    size: dict[int, int] = {}
    written = 0
    todo: list[tuple[yaml.Node, bool]] = [(root, False)]
    on_path: set[int] = set()
    while todo:
        node, done = todo.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            size[key] = 1 + sum(size.get(id(c), 1) for c in _children(node))
            continue
        if key in size or key in on_path:
            continue
        written += 1
        on_path.add(key)
        todo.append((node, True))
        todo.extend((c, False) for c in _children(node))
    limit = max(MAX_EXPANDED_VALUES, _EXPANSION_FACTOR * written)
    if size[id(root)] > limit:
        raise AliasExpansionError(limit)


def load(text: str) -> Any:
    """The data in a YAML text, read with the YAML 1.2 core schema, refusing duplicate keys.

    Raises:
        DuplicateKeyError: a mapping gives the same key twice.
        AliasExpansionError: aliases expand the document far beyond its written size.
        yaml.YAMLError: the text is not valid YAML.
    """
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        _check_keys(node)
        _check_expansion(node)
        return loader.construct_document(node)
    finally:
        loader.dispose()
