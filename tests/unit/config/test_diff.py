"""Identity, diff, secrets, revert and output forms on small hand-made exports."""

from __future__ import annotations

import json
from collections.abc import Mapping

from rospoll.config import (
    Export,
    diff_exports,
    normalise_export,
    parse_command,
    parse_export,
    render_html,
    split_line,
    unified_diff,
)
from rospoll.config.render import render_revert

V6 = "# jan/02/2024 10:11:12 by RouterOS 6.49.10\n"
V7 = "# 2024-01-02 10:11:12 by RouterOS 7.16\n"

OLD = V7 + (
    "/interface ethernet\nset [ find default-name=ether1 ] comment=wan\n"
    "/ip address\nadd address=10.0.0.1/24 interface=ether1\n"
    "add address=10.9.0.1/24 interface=ether9\n"
    "/ip firewall filter\n"
    'add action=accept chain=input comment="accept established" connection-state=established\n'
    'add action=drop chain=input comment="drop invalid" connection-state=invalid\n'
    "add action=drop chain=forward src-address=1.2.3.4\n"
    "/ip dns\nset servers=1.1.1.1\n"
    "/ppp secret\nadd name=alice password=s3cret-one service=pptp\n"
)
NEW = V7 + (
    "/interface ethernet\nset [ find default-name=ether1 ] comment=uplink\n"
    "/ip address\nadd address=10.0.0.1/24 interface=ether2\n"
    "add address=10.5.0.1/24 interface=ether5\n"
    "/ip firewall filter\n"
    'add action=drop chain=input comment="drop invalid" connection-state=invalid disabled=yes\n'
    'add action=accept chain=input comment="accept established" connection-state=established\n'
    "add action=drop chain=forward src-address=5.6.7.8\n"
    "/ip dns\nset servers=9.9.9.9\n"
    "/ppp secret\nadd name=alice password=s3cret-two service=pptp\n"
)


def test_diff_of_equal_exports_is_empty_even_when_only_the_date_differs() -> None:
    other_date = OLD.replace("2024-01-02 10:11:12", "2025-06-07 08:09:10")
    changes = diff_exports(parse_export(OLD), parse_export(other_date))
    assert not changes and changes.sentences() == []
    assert changes.counts() == {"added": 0, "removed": 0, "changed": 0, "moved": 0}


def test_changes_are_keyed_named_and_explained_argument_by_argument() -> None:
    changes = diff_exports(parse_export(OLD), parse_export(NEW))
    assert changes.counts() == {"added": 1, "removed": 1, "changed": 6, "moved": 1}
    sentences = changes.sentences()
    assert (
        "/ip firewall filter: rule 'drop invalid' changed: disabled (default) -> yes" in sentences
    )
    assert "/ip address: address 10.0.0.1/24 changed: interface ether1 -> ether2" in sentences
    assert "/ip dns: settings changed: servers 1.1.1.1 -> 9.9.9.9" in sentences
    assert (
        "/interface ethernet: [ find default-name=ether1 ] changed: comment wan -> uplink"
        in sentences
    )
    assert "/ip firewall filter: rule #3 changed: src-address 1.2.3.4 -> 5.6.7.8" in sentences
    assert (
        "/ip address: address 10.9.0.1/24 removed: address=10.9.0.1/24 interface=ether9"
        in sentences
    )
    moved = [c for c in changes.items() if c.kind == "moved"]
    assert [(c.label, c.old.position, c.new.position) for c in moved if c.old and c.new] in (
        [("rule 'accept established'", 0, 1)],  # a swap: either rule may be the one moved
        [("rule 'drop invalid'", 1, 0)],
    )
    change = next(c for c in changes.items() if c.label == "address 10.0.0.1/24")
    assert (change.section, change.key, change.kind) == (
        "/ip address",
        "address=10.0.0.1/24",
        "changed",
    )
    assert change.old_args == {"address": "10.0.0.1/24", "interface": "ether1"}
    assert [(a.name, a.old, a.new) for a in change.args] == [("interface", "ether1", "ether2")]


def test_moves_are_only_reported_in_order_sensitive_sections() -> None:
    old = parse_export(V7 + "/ip pool\nadd name=a ranges=1.1.1.1\nadd name=b ranges=2.2.2.2\n")
    new = parse_export(V7 + "/ip pool\nadd name=b ranges=2.2.2.2\nadd name=a ranges=1.1.1.1\n")
    assert not diff_exports(old, new)


def test_duplicate_items_are_counted_by_occurrence() -> None:
    line = "add action=masquerade chain=srcnat out-interface=ether1\n"
    one = parse_export(V7 + "/ip firewall nat\n" + line)
    two = parse_export(V7 + "/ip firewall nat\n" + line + line)
    changes = diff_exports(one, two)
    assert changes.counts()["added"] == 1
    assert changes.sentences() == [
        "/ip firewall nat: rule #2 (copy 2) added:"
        " action=masquerade chain=srcnat out-interface=ether1"
    ]


def test_secrets_are_masked_in_every_output_unless_asked() -> None:
    changes = diff_exports(parse_export(OLD), parse_export(NEW))
    masked = [
        "\n".join(changes.sentences()),
        json.dumps(changes.to_dict()),
        render_html(changes),
        unified_diff(OLD, NEW),
        render_revert(changes),
    ]
    for text in masked:
        assert "s3cret" not in text
    assert "/ppp secret: name alice changed: password changed" in changes.sentences()
    assert "******" in unified_diff(OLD, NEW)
    assert "s3cret-one -> s3cret-two" in "\n".join(changes.sentences(show_secrets=True))
    assert "s3cret-two" in json.dumps(changes.to_dict(show_secrets=True))
    assert "s3cret-two" in render_html(changes, show_secrets=True)
    assert "s3cret-two" in unified_diff(OLD, NEW, show_secrets=True)
    assert "password=s3cret-one" in render_revert(changes, show_secrets=True)


def test_html_is_escaped() -> None:
    old = parse_export(V7 + '/system identity\nset name="<b>r1</b>"\n')
    new = parse_export(V7 + '/system identity\nset name="<script>x</script>"\n')
    page = render_html(diff_exports(old, new))
    assert "<script>" not in page and "&lt;script&gt;" in page


def test_secret_absent_because_v7_hides_it_is_reported_as_hidden_not_removed() -> None:
    old = parse_export(V6 + "/ppp secret\nadd name=alice password=pw service=pptp\n")
    new = parse_export(V7 + "/ppp secret\nadd name=alice service=pptp\n")
    changes = diff_exports(old, new)
    [change] = list(changes.items())
    assert [(a.name, a.kind) for a in change.args] == [("password", "hidden")]
    assert changes.sentences() == ["/ppp secret: name alice changed: password hidden by export"]
    still_v6 = parse_export(V6 + "/ppp secret\nadd name=alice service=pptp\n")
    assert diff_exports(old, still_v6).sentences() == [
        "/ppp secret: name alice changed: password removed"
    ]


def apply_revert(export: Export, snippet: str) -> dict[str, dict[str, Mapping[str, str]]]:
    """A tiny RouterOS applier: add/set/remove/unset on keyed items, by ``find where``."""
    state = {p: {i.key: dict(i.args) for i in s.items} for p, s in export.sections.items()}
    section = ""
    for line in snippet.splitlines():
        if line.startswith("#"):
            continue
        path, text = split_line(line)
        if path:
            section = path
            if not text:
                continue
        command, selector, args = parse_command(text)
        table = state.setdefault(section, {})
        if command == "add":
            key = parse_export(V7 + section + "\n" + text).sections[section].items[0].key
            table[key] = args
            continue
        match = _match(table, selector)
        if command == "remove":
            del table[match]
        elif command == "set":
            table.setdefault(match, {}).update(args)
        elif command == "unset":
            table[match].pop(args["value-name"])
    return {p: t for p, t in state.items() if t}


def _match(table: dict[str, dict[str, str]], selector: str | None) -> str:
    if selector is None:
        return ""
    if not selector.startswith("[ find where "):
        return selector
    _, _, wanted = parse_command("add " + selector[len("[ find where ") : -2])
    hits = [k for k, a in table.items() if all(a.get(n) == v for n, v in wanted.items())]
    assert len(hits) == 1, (selector, hits)
    return hits[0]


def test_revert_snippet_takes_new_back_to_old() -> None:
    old, new = parse_export(OLD), parse_export(NEW)
    snippet = render_revert(diff_exports(old, new), show_secrets=True)
    assert "no natural key, so remove + add" in snippet
    reverted = apply_revert(new, snippet)
    expected = {p: {i.key: dict(i.args) for i in s.items} for p, s in old.sections.items()}
    for path, table in expected.items():
        assert {k: v for k, v in reverted[path].items() if not k.startswith("@")} == {
            k: v for k, v in table.items() if not k.startswith("@")
        }
        assert sorted(map(sorted, (v.items() for v in reverted[path].values()))) == sorted(
            map(sorted, (v.items() for v in table.values()))
        )


def normalised(text: str) -> str:
    return normalise_export(text).text()


def test_unified_diff_of_normalised_texts_ignores_dates_and_transient_comments() -> None:
    noisy = OLD.replace("2024-01-02 10:11:12", "2030-01-01 00:00:00").replace(
        "/ip dns\n", "/ip dns\n# inactive time\n"
    )
    assert unified_diff(normalised(OLD), normalised(noisy)) == ""
    assert unified_diff(OLD, NEW, old_name="a.rsc").startswith("--- a.rsc\n+++ new\n")


# What unified_diff gave for RAW_OLD and RAW_NEW when it normalised the texts itself.
RAW_OLD = OLD.replace("\n", "\r\n").replace("/ip dns\r\n", "/ip dns\r\n# inactive time\r\n")
RAW_NEW = NEW.replace("2024-01-02 10:11:12", "2024-03-04 05:06:07").replace(
    "add address=10.5.0.1/24 interface=ether5\n",
    "add address=10.5.0.1/24 \\\n    interface=ether5   \n",
)
DIFF_BEFORE = (
    "--- r1.rsc (before)\n+++ r1.rsc (after)\n@@ -2,12 +2,12 @@\n /interface ethernet\n"
    "-set [ find default-name=ether1 ] comment=wan\n"
    "+set [ find default-name=ether1 ] comment=uplink\n /ip address\n"
    "-add address=10.0.0.1/24 interface=ether1\n-add address=10.9.0.1/24 interface=ether9\n"
    "+add address=10.0.0.1/24 interface=ether2\n+add address=10.5.0.1/24 interface=ether5\n"
    " /ip firewall filter\n"
    '+add action=drop chain=input comment="drop invalid" connection-state=invalid disabled=yes\n'
    ' add action=accept chain=input comment="accept established"'
    " connection-state=established\n"
    '-add action=drop chain=input comment="drop invalid" connection-state=invalid\n'
    "-add action=drop chain=forward src-address=1.2.3.4\n"
    "+add action=drop chain=forward src-address=5.6.7.8\n"
    " /ip dns\n-set servers=1.1.1.1\n+set servers=9.9.9.9\n /ppp secret\n"
)


def test_unified_diff_of_the_normalised_texts_is_what_it_gave_for_the_raw_ones() -> None:
    def diff(old: str, new: str) -> str:
        return unified_diff(
            old, new, old_name="r1.rsc (before)", new_name="r1.rsc (after)", context=1
        )

    assert diff(normalised(RAW_OLD), normalised(RAW_NEW)) == DIFF_BEFORE
    assert diff(RAW_OLD, RAW_NEW) != DIFF_BEFORE  # it no longer normalises: callers do


def test_rule_whose_comment_is_edited_in_place_is_one_change() -> None:
    rules = '/ip firewall filter\nadd action=drop chain=input comment="{}"\nadd chain=forward\n'
    old = parse_export(V7 + rules.format("drop invalid"))
    new = parse_export(V7 + rules.format("drop bad"))
    assert diff_exports(old, new).sentences() == [
        '/ip firewall filter: rule \'drop bad\' changed: comment "drop invalid" -> "drop bad"'
    ]
