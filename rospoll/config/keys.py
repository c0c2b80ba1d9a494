"""Item identity: which arguments name an item in each section (kept as data).

Rules, in order, for one section:

1. ``set [ find … ]``, ``set <name>``, ``set <number>``: the selector as printed;
   a singleton ``set`` without selector: the empty key (the section itself);
2. ``add``: the first alternative of ``NATURAL_KEYS`` (fnmatch patterns, default
   ``name``) whose arguments are all present, e.g. ``list=x address=10.0.0.1``;
3. otherwise ``comment=…`` when that comment is unique among such items;
4. otherwise a hash of the whole command (``@…``): the diff pairs such items by position in
   ``ORDERED_SECTIONS`` and reports moves there.

A key seen again in the same section gets ``~2``, ``~3`` … (duplicates are real).
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from fnmatch import fnmatchcase
from itertools import compress, count, repeat
from operator import is_, itemgetter
from typing import Any

from rospoll.config.item import Item
from rospoll.config.syntax import BARE, quote_value, render_arguments

# (section pattern, alternatives); each alternative is a comma-separated argument list.
# Started from routeros-diff 0.5.3's table, extended for lists, members and records.
NATURAL_KEYS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("/interface ethernet", ("default-name", "name")),
    ("/ip address", ("address",)),
    ("/ipv6 address", ("address",)),
    ("/ip dhcp-server network", ("address",)),
    ("/ip dhcp-server lease", ("mac-address,server", "mac-address", "client-id", "address")),
    ("/ip arp", ("address",)),
    ("/ip dhcp-client", ("interface",)),
    ("/ipv6 dhcp-client", ("interface",)),
    ("/ipv6 nd", ("interface",)),
    ("/ipv6 nd prefix", ("prefix,interface", "interface")),
    ("/interface bridge port", ("bridge,interface", "interface")),
    ("/interface bridge vlan", ("bridge,vlan-ids",)),
    ("/interface list member", ("list,interface",)),
    ("/ip firewall address-list", ("list,address",)),
    ("/ipv6 firewall address-list", ("list,address",)),
    ("/ip dns static", ("name,type,address", "name,address", "name,type", "name", "regexp")),
    ("/ip route", ("dst-address,routing-table,gateway", "dst-address,gateway", "dst-address")),
    ("/ipv6 route", ("dst-address,routing-table,gateway", "dst-address,gateway", "dst-address")),
    ("/routing ospf interface", ("interface",)),
    ("/routing ospf-v3 interface", ("interface",)),
    ("/routing ospf network", ("network",)),
    ("/routing ospf-v3 network", ("network",)),
    ("/routing ospf interface-template", ("interfaces,area", "networks,area", "area")),
    ("/mpls ldp interface", ("interface",)),
    ("/ip hotspot ip-binding", ("mac-address", "address")),
    ("/interface wireguard peers", ("public-key",)),
    ("/ip ipsec identity", ("peer",)),
    ("/ip ipsec policy", ("peer,src-address,dst-address", "src-address,dst-address")),
    ("/interface wireless access-list", ("mac-address,interface", "mac-address")),
    ("/caps-man access-list", ("mac-address,interface", "mac-address")),
    ("*", ("name",)),
)

# Sections whose item order is configuration (first match wins); moves are reported here.
ORDERED_SECTIONS: tuple[str, ...] = (
    "/ip firewall filter", "/ip firewall nat", "/ip firewall mangle", "/ip firewall raw",
    "/ip firewall calea", "/ipv6 firewall filter", "/ipv6 firewall nat",
    "/ipv6 firewall mangle", "/ipv6 firewall raw", "/routing filter rule", "/routing rule",
    "/ip route rule", "/queue simple", "/queue tree", "/interface wireless access-list",
    "/caps-man access-list", "/interface wifi access-list", "/interface wifiwave2 access-list",
    "/ip hotspot walled-garden", "/ip hotspot walled-garden ip", "/ip proxy access",
    "/ip firewall layer7-protocol",
)  # fmt: skip


Spec = tuple[tuple[str, ...], ...]  # natural-key alternatives, each a tuple of names
_WILD = frozenset("*?[")


def _is_exact(pattern: str) -> bool:
    return not _WILD.intersection(pattern)


def _first_spec(path: str) -> Spec:
    for pattern, alternatives in NATURAL_KEYS:
        if fnmatchcase(path, pattern):
            return tuple(tuple(alt.split(",")) for alt in alternatives)
    return ()


# The tables are static, so their answers are computed once here: a path that is a
# pattern without wildcards gets its spec from a dict; any other path can only match the
# wildcard patterns (here just the final ``*``).
_SPEC_OF: dict[str, Spec] = {p: _first_spec(p) for p, _ in NATURAL_KEYS if _is_exact(p)}
_WILD_SPECS: tuple[tuple[str, Spec], ...] = tuple(
    (p, tuple(tuple(alt.split(",")) for alt in alts))
    for p, alts in NATURAL_KEYS
    if not _is_exact(p)
)
_ORDERED_EXACT = frozenset(p for p in ORDERED_SECTIONS if _is_exact(p))
_ORDERED_WILD = tuple(p for p in ORDERED_SECTIONS if not _is_exact(p))


def key_spec(path: str) -> Spec:
    """Natural-key alternatives for ``path``, each a tuple of argument names."""
    found = _SPEC_OF.get(path)
    if found is not None:
        return found
    for pattern, spec in _WILD_SPECS:
        if fnmatchcase(path, pattern):
            return spec
    return ()


def is_ordered(path: str) -> bool:
    """True when the order of items in ``path`` is part of the configuration."""
    if path in _ORDERED_EXACT:
        return True
    return any(fnmatchcase(path, pattern) for pattern in _ORDERED_WILD)


def _natural(args: Mapping[str, str], spec: Spec) -> str | None:
    for names, values_of, template in _compiled(spec):
        try:
            values = values_of(args)
        except KeyError:
            continue
        if len(names) == 1:
            return template.format(values if _BARE(values) else quote_value(values))
        return template.format(*[v if _BARE(v) else quote_value(v) for v in values])
    return None


_BARE = BARE.fullmatch


_Compiled = tuple[tuple[tuple[str, ...], "itemgetter[Any]", str], ...]


def _compile(spec: Spec) -> _Compiled:
    """Per alternative: names, an itemgetter of their values, ``name={} name={}``."""
    return tuple(
        (names, itemgetter(*names), " ".join(f"{n.replace('{', '{{').replace('}', '}}')}={{}}"
                                             for n in names))
        for names in spec
    )  # fmt: skip


# Every spec of the table, compiled once; a spec from elsewhere is compiled per use.
_COMPILED: dict[Spec, _Compiled] = {
    spec: _compile(spec) for spec in (*_SPEC_OF.values(), *(s for _, s in _WILD_SPECS))
}


def _compiled(spec: Spec) -> _Compiled:
    found = _COMPILED.get(spec)
    return found if found is not None else _compile(spec)


def _content_key(command: str, selector: str | None, args: Mapping[str, str]) -> str:
    text = f"{command} {selector or ''} {render_arguments(args)}"
    digest = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=8)
    return "@" + digest.hexdigest()


# One parsed line with what identity it gives, computed once per line text and section:
# ``(command, selector, args, key, comment_key)``. ``key`` is the natural, selector or
# content key, or None for an ``add`` without a natural key, which is then keyed by
# ``comment_key`` (``comment=…``, when the item has a comment) if that is unique in the
# section, else by content.
Entry = tuple[str, str | None, dict[str, str], str | None, str | None]
_ENTRY_KEY = itemgetter(3)
_COMMAND, _SELECTOR, _ARGS = itemgetter(0), itemgetter(1), itemgetter(2)


def entry(spec: Spec, command: str, selector: str | None, args: dict[str, str]) -> Entry:
    """The Entry of one parsed command in a section whose natural keys are ``spec``."""
    if command == "add":
        key = _natural(args, spec) if spec else None
        comment = args.get("comment") if key is None else None
        comment_key = None if comment is None else f"comment={quote_value(comment)}"
        return command, selector, args, key, comment_key
    if command == "set":
        return command, selector, args, selector or "", None
    return command, selector, args, _content_key(command, selector, args), None


def identify_entries(
    path: str, entries: list[Entry], positions: Iterable[int] | None = None
) -> tuple[Item, ...]:
    """Build the section's Items from Entries (see ``entry``), at ``positions`` (0, 1, …).

    Works column by column with ``map``: Python only loops over items without a natural
    key and over duplicate keys.
    """
    keys: list[str | None] = list(map(_ENTRY_KEY, entries))
    if None in keys:
        _resolve(keys, entries)
    if len(set(keys)) != len(keys):
        _number_duplicates(keys)
    columns = (map(getter, entries) for getter in (_COMMAND, _SELECTOR, _ARGS))
    rows = zip(repeat(path), keys, *columns, count() if positions is None else positions)
    return tuple(map(tuple.__new__, repeat(Item), rows))  # Item(...) without a Python call


def _resolve(keys: list[str | None], entries: list[Entry]) -> None:
    """Key ``add`` items without a natural key by a unique comment, else by content."""
    unkeyed = list(compress(count(), map(is_, keys, repeat(None))))
    comment_keys = [entries[index][4] for index in unkeyed]
    counts = Counter(comment_keys)
    for index, comment_key in zip(unkeyed, comment_keys, strict=True):
        if comment_key is not None and counts[comment_key] == 1:
            keys[index] = comment_key
        else:
            command, selector, args = entries[index][:3]
            keys[index] = _content_key(command, selector, args)


def _number_duplicates(keys: list[str | None]) -> None:
    """A key seen again in the section gets `` ~2``, `` ~3`` … in order of appearance."""
    seen: dict[str | None, int] = {}
    for index, key in enumerate(keys):
        number = seen.get(key, 0) + 1
        seen[key] = number
        if number > 1:
            keys[index] = f"{key} ~{number}"


def find_expression(item: Item) -> str:
    """How a revert command addresses ``item``: a ``[ find where … ]``, selector or ''."""
    if item.command == "set":
        return item.selector or ""
    key = item.key.split(" ~", 1)[0]
    if not item.is_keyed:
        key = render_arguments(item.args)
    return f"[ find where {key} ]"


def label(item: Item) -> str:
    """A human name for ``item``: "rule 'drop invalid'", "address 10.0.0.1/24", "#3"."""
    ordered = is_ordered(item.section)
    noun = "rule" if ordered else "item"
    if item.command == "set":
        if not item.selector:
            return "settings"
        return item.selector if item.selector.startswith("[") else f"{noun} {item.selector}"
    key, _, dup = item.key.partition(" ~")
    suffix = f" (copy {dup})" if dup else ""
    if not item.is_keyed:
        return f"{noun} #{item.position + 1}{suffix}"
    if key.startswith("comment="):
        return f"{noun} '{item.args['comment']}'{suffix}"
    names = next(alt for alt in key_spec(item.section) if all(n in item.args for n in alt))
    words = [_quoted(item.args[n]) for n in names]
    if len(names) == 1:
        return f"{names[0]} {words[0]}{suffix}"
    return " ".join(f"{n}={w}" for n, w in zip(names, words, strict=True)) + suffix


def _quoted(value: str) -> str:
    return f"'{value}'" if not value or " " in value else value
