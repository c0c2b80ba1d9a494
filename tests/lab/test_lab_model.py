"""The lab's own model, parser and rendering: corpus round trips, wrapping, escapes, fleet."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from rospoll.lab import LabFleet, LabRouter
from rospoll.lab.render import Flavor, render_export, wrap_tokens
from rospoll.lab.state import decode_value, encode_value, join_continuations, load_export

ITEM = re.compile(r"^(?:/[^#]*?\s)?(add|set)\b")


def item_line_count(text: str) -> int:
    return sum(1 for line in join_continuations(text) if ITEM.match(line.strip()))


def corpus_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.iterdir()
                  if p.suffix in (".rsc", ".txt") and not p.name.startswith("900_"))


def test_every_corpus_export_reloads_with_all_items(corpus_dir):
    files = corpus_files(corpus_dir)
    assert files
    for path in files:
        version = re.search(r"v(\d+\.\d+(?:\.\d+)?)", path.name)
        router = LabRouter(name="x", version=version.group(1) if version else "7.16",
                           config_path=path)
        source = path.read_text(encoding="utf-8", errors="replace")
        for terse in (False, True):
            exported = router.export_text(terse=terse)
            # compare counts only: never put corpus text into assertion messages
            same = item_line_count(exported) == item_line_count(source)
            assert same, f"{path.name}: item count changed (terse={terse})"
        again, _ = load_export(router.export_text())
        assert again.item_count() == router.item_count(), path.name


def test_load_export_joins_continuations_inside_quotes():
    text = ('# 2024-01-02 10:11:12 by RouterOS 7.16\n# software id = \n#\n'
            '/system script\nadd name=s source="/log info \\"a b\\"\\r\\\n'
            '    \\n:put \\$x\\_y"\n')
    config, header = load_export(text)
    item = config.sections[0].items[0]
    assert item.attrs["source"] == '/log info "a b"\r\n:put $x y'
    assert header.software_id == "" and header.model is None


@given(st.text(alphabet=st.characters(min_codepoint=1, max_codepoint=0xFF), max_size=60))
def test_values_round_trip_through_encoding(value):
    """Values are byte strings (one char per byte, as ``\\XX`` escapes are read)."""
    assert decode_value(encode_value(value)) == value


def test_wrapping_stays_within_80_columns_and_joins_back():
    tokens = ["add", "action=accept", "chain=input",
              'comment="defconf: accept established,related,untracked"',
              "connection-state=established,related,untracked",
              'source="' + "x y " * 60 + '"']
    lines = wrap_tokens(tokens)
    assert max(len(line) for line in lines) <= 80
    assert all(line.startswith("    ") for line in lines[1:])
    assert join_continuations("\n".join(lines))[0].replace("\\_", " ") == \
        " ".join(tokens).replace("\\_", " ")


@pytest.mark.parametrize(("version", "first"), [
    ("6.49.10", re.compile(r"^# [a-z]{3}/\d\d/\d{4} \d\d:\d\d:\d\d by RouterOS 6\.49\.10$")),
    ("7.9.2", re.compile(r"^# [a-z]{3}/\d\d/\d{4} \d\d:\d\d:\d\d by RouterOS 7\.9\.2$")),
    ("7.16", re.compile(r"^# \d{4}-\d\d-\d\d \d\d:\d\d:\d\d by RouterOS 7\.16$")),
])
def test_export_header_date_style_follows_version(version, first):
    router = LabRouter(version=version)
    lines = router.export_text().splitlines()
    assert first.match(lines[0])
    assert lines[1].startswith("# software id = ") and lines[2] == "#"
    assert lines[3].startswith("# model = ") and lines[4].startswith("# serial number = ")


def test_terse_export_prefixes_paths_and_never_wraps():
    config, header = load_export((Path(__file__).parents[2] / "rospoll" / "lab" /
                                  "default_configs" / "v7.rsc").read_text())
    terse = render_export(config, header, Flavor.of("7.16"), datetime(2024, 1, 2), terse=True)
    body = terse.splitlines()[5:]
    assert all(line.startswith("/") and not line.endswith("\\") for line in body)
    assert "/ip address add address=192.168.88.1/24 comment=defconf interface=bridge " \
        "network=192.168.88.0" in body


def test_cli_changes_by_number_name_id_and_find():
    router = LabRouter(version="7.16", users={"admin": "pw"})
    router.apply("admin", "/ip firewall filter set 0 comment=first")
    router.apply("admin", "/ip firewall filter disable *2")
    router.apply("admin", '/ip firewall filter remove [ find comment="defconf: accept ICMP" ]')
    router.apply("admin", "/interface list set LAN comment=inside")
    router.apply("admin", "/ip service set telnet disabled=no")
    export = router.export_text()
    assert "add action=accept chain=input comment=first connection-state=\\" in export
    assert "disabled=yes" in export.split("/ip firewall filter")[1].split("\n/")[0]
    assert "accept ICMP" not in export
    assert "add comment=inside name=LAN" in export
    assert router.apply("admin", "/ip firewall filter remove 99") == "no such item"
    logged = router.apply("admin", '/log print where message~"removed"')
    assert logged.endswith("(/ip firewall filter remove *3)")
    assert router.apply("admin", "/frobnicate") == "bad command name frobnicate (line 1 column 2)"


def test_resource_print_right_aligns_keys_and_names_the_channel():
    lines = LabRouter(version="6.49.10").apply("admin", "/system resource print").splitlines()
    assert "                  version: 6.49.10 (long-term)" in lines
    assert {line.index(":") for line in lines} == {25}


def test_fleet_writes_an_ansible_inventory(tmp_path):
    fleet = LabFleet(count=2, version="6.49.10", users={"admin": "secret"})
    fleet.start()
    try:
        plain = yaml.safe_load(fleet.write_inventory(tmp_path / "a.yml").read_text())
        env = yaml.safe_load(fleet.write_inventory(tmp_path / "b.yml", "LAB_PW").read_text())
    finally:
        fleet.stop()
    hosts = plain["all"]["hosts"]
    assert list(hosts) == ["lab1", "lab2"]
    assert hosts["lab2"] == {"ansible_host": "127.0.0.1", "ansible_port": fleet.routers[1].port,
                             "ansible_user": "admin", "ansible_password": "secret"}
    assert env["all"]["hosts"]["lab1"]["ansible_password"] == "{{ lookup('env', 'LAB_PW') }}"


HARNESS = """
import argparse, sys
from pathlib import Path
from rospoll.commands import lab
parser = argparse.ArgumentParser(prog="rospoll")
parser.add_argument("-i", "--inventory", type=Path, default=Path("inventory.yml"))
lab.add_parser(parser.add_subparsers(dest="command", required=True))
args = parser.parse_args(sys.argv[1:])
sys.exit(args.run(args))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM")
def test_lab_command_serves_until_sigterm(tmp_path):
    inventory = tmp_path / "inv.yml"
    proc = subprocess.Popen([sys.executable, "-c", HARNESS, "-i", str(inventory), "lab",
                             "--routers", "2", "--users", "alice", "--version", "6.49.10"],
                            stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(3)]
        assert re.match(r"lab1  127\.0\.0\.1:\d+  RouterOS 6\.49\.10", lines[0])
        assert "inventory written" in lines[2]
        hosts = yaml.safe_load(inventory.read_text())["all"]["hosts"]
        assert sorted(hosts) == ["lab1", "lab2"]
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=5)
