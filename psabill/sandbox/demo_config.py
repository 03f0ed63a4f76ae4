"""The packaged demo config, pointed at one running sandbox and spoken in that PSA's terms.

The demo MSP is written once, for ConnectWise (``psabill/data/demo/psabill.toml``, the same as
``examples/psabill.toml``). For another PSA two things change and nothing else, so the comments
a reader learns from stay where they are:

* the ``[psa]`` table is replaced by the running sandbox's (its address and public demo keys);
* each ``psa_company`` of a ``[[customers]]`` and ``psa_product`` of a ``[[products]]`` is
  translated: ConnectWise's ``AcmeDental`` is Autotask's and Halo's company id ``"250"``, its
  catalog ``SOPHOS-IX-ADV`` their Service/Item name ``"Sophos Intercept X Advanced"``.

The text is handled as TOML tables (a header line and the lines up to the next header), and the
result is parsed again and checked, so a change to the packaged file cannot silently produce a
config that maps to the wrong thing.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

import tomli_w

from psabill.sandbox.kinds import TITLES, Identifiers

_HEADER = re.compile(r"^\s*\[\[?\s*([A-Za-z_.]+)\s*\]\]?\s*(#.*)?$")
_TRANSLATED = {"customers": "psa_company", "products": "psa_product"}


def demo_config(text: str, section: Mapping[str, Any], ids: Identifiers) -> str:
    """``text`` (the packaged demo config) with ``section`` as its ``[psa]`` and its mappings
    translated through ``ids``; ``ValueError`` if the result does not say what was meant."""
    translate: dict[str, Callable[[str], str]] = {
        "customers": ids.company,
        "products": ids.catalog,
    }
    blocks = []
    for table, lines in _tables(text):
        if table == "psa":
            blocks.append(psa_block(section))
        elif table in _TRANSLATED:
            blocks.append(_translated(lines, _TRANSLATED[table], translate[table]))
        else:
            blocks.append("".join(lines))
    result = "".join(blocks)
    _check(text, result, section, translate)
    return result


def psa_block(section: Mapping[str, Any]) -> str:
    """The ``[psa]`` table for a sandbox, with why each unusual value is there."""
    kind = str(section.get("kind", "connectwise"))
    title = TITLES.get(kind, kind)
    lines = [
        "[psa]\n",
        f"# The built-in fake {title} (`psabill sandbox serve --psa {kind}`).\n",
        "# Its demo keys are public, not secrets; for a real PSA write references such as\n",
        f'# "${{VAR}}" - see examples/{_example(kind)} for where each value comes from.\n',
    ]
    body = tomli_w.dumps({key: value for key, value in section.items() if key != "rate_limit"})
    return "".join(
        [
            *lines,
            body,
            "# The sandbox runs on this machine, so psabill does not pace itself. Against a\n",
            "# real PSA leave rate_limit unset: psabill adapts to the PSA's own limit.\n",
            'rate_limit = "none"\n\n',
        ]
    )


def _example(kind: str) -> str:
    return "psabill.toml" if kind == "connectwise" else f"{kind}.toml"


def _tables(text: str) -> list[tuple[str | None, list[str]]]:
    """``text`` cut at each table header: ``(table name, its lines)``; ``None`` before the
    first header. Comments and blank lines belong to the table above them."""
    tables: list[tuple[str | None, list[str]]] = [(None, [])]
    for line in text.splitlines(keepends=True):
        match = _HEADER.match(line)
        if match is not None:
            tables.append((match.group(1), []))
        tables[-1][1].append(line)
    return tables


def _translated(lines: list[str], key: str, translate: Callable[[str], str]) -> str:
    """The table's ``lines`` with the string value of ``key`` (a line of its own) translated."""
    out = []
    for line in lines:
        stripped = line.lstrip()
        if stripped.startswith(key) and stripped[len(key) :].lstrip().startswith("="):
            value = tomllib.loads(line.strip())[key]
            line = tomli_w.dumps({key: translate(value)})
        out.append(line)
    return "".join(out)


def _check(
    before: str,
    after: str,
    section: Mapping[str, Any],
    translate: Mapping[str, Callable[[str], str]],
) -> None:
    old, new = tomllib.loads(before), tomllib.loads(after)
    expected = {**old, "psa": {**section, "rate_limit": "none"}}
    for table, key in _TRANSLATED.items():
        if table in old:
            expected[table] = [
                {**row, key: translate[table](row[key])} if key in row else row
                for row in old[table]
            ]
    if new != expected:
        raise ValueError("the demo config did not translate cleanly; its tables changed shape")
