"""Load a YAML protocol file into a validated ``Protocol``.

Every mistake is collected and reported with its path and the rule it breaks
(``assessments[2].window: closes before it opens``), so an author fixes a file in one go.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from diary.protocol.checks import Checker, ProtocolError
from diary.protocol.model import Protocol
from diary.protocol.sections import read_protocol

# A protocol is a few levels deep (assessments[0].window.open is 4); PyYAML composes
# nodes recursively, so a file nested thousands deep would hit Python's recursion limit.
MAX_DEPTH = 32


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe loader that refuses duplicate mapping keys instead of keeping the last,
    and collections nested deeper than ``MAX_DEPTH``."""

    _depth = 0

    def compose_node(self, parent, index):
        if self._depth >= MAX_DEPTH:
            raise yaml.composer.ComposerError(None, None, f"nested deeper than {MAX_DEPTH} "
                                              "levels", self.peek_event().start_mark)
        self._depth += 1
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict:
    seen: set = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node)


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


@dataclass(frozen=True)
class Checked:
    """A valid protocol and the warnings about it (``(path, rule)``, e.g. missing wording)."""

    protocol: Protocol
    warnings: list[tuple[str, str]] = field(default_factory=list)


def check_protocol(text: str, *, name: str = "protocol", strict: bool = True) -> Checked:
    """Parse and validate protocol YAML, keeping the warnings; raises ``ProtocolError``
    listing every mistake. A YAML syntax error names ``name``, the line and the column.

    ``strict=False`` reads a version stored before a check existed: a name that refers
    to nothing is then a warning (see ``Checker.refer``), never a study that won't load.
    """
    try:
        data = yaml.load(text, Loader=_UniqueKeyLoader)  # a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        raise ProtocolError([("", _yaml_error(exc, name))]) from None
    except yaml.YAMLError as exc:
        raise ProtocolError([("", f"{name}: not valid YAML: {exc}")]) from None
    except RecursionError:  # a safety net: MAX_DEPTH should stop any deep nesting first
        raise ProtocolError([("", f"{name}: not valid YAML: nested deeper than {MAX_DEPTH} "
                                  "levels")]) from None
    check = Checker(strict=strict)
    protocol = read_protocol(check, data)
    if check.issues or protocol is None:
        raise ProtocolError(check.issues or [("", "empty protocol")])
    return Checked(protocol, check.warnings)


def _yaml_error(exc: yaml.MarkedYAMLError, name: str) -> str:
    """``FILE, line L, column C: not valid YAML: problem (context)``, counted from 1."""
    mark = exc.problem_mark or exc.context_mark
    where = f"{name}, line {mark.line + 1}, column {mark.column + 1}" if mark else name
    what = exc.problem or "syntax error"
    if exc.context:
        what += f" ({exc.context})"
    return f"{where}: not valid YAML: {what}"


def parse_protocol(text: str, *, strict: bool = True) -> Protocol:
    """Parse and validate protocol YAML; raises ``ProtocolError`` listing every mistake."""
    return check_protocol(text, strict=strict).protocol


def build_protocol(data: Any) -> Protocol:
    """Validate already-parsed protocol data (see ``parse_protocol``)."""
    check = Checker()
    protocol = read_protocol(check, data)
    if check.issues or protocol is None:
        raise ProtocolError(check.issues or [("", "empty protocol")])
    return protocol
