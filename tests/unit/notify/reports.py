"""A ChangeReport factory shared by the notify tests (unit and SMTP)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from rospoll.notify.report import ChangeReport

T0 = datetime(2024, 5, 1, 12, 34, 56, tzinfo=timezone.utc)
HOSTILE_USER = "<img src=x onerror=alert(1)>"

DIFF = """\
--- core-rtr1 3f2a9c1
+++ core-rtr1 working
@@ -10,3 +10,4 @@
 /ip firewall filter add action=accept chain=input connection-state=established,related
-/ip firewall filter add action=accept chain=input dst-port=22 protocol=tcp
+/ip firewall filter add action=drop chain=input dst-port=22 protocol=tcp comment="drop ssh"
+/ip address add address=192.0.2.9/24 interface=ether2
 /ip firewall filter add action=drop chain=input
"""


def make_report(n: int = 0, **overrides: Any) -> ChangeReport:
    """A realistic change; ``n`` shifts the id and the time by ``n`` minutes."""
    values: dict[str, Any] = {
        "id": f"20240501T1234-core-rtr1-{n}",
        "time": T0 + timedelta(minutes=n),
        "router": "core-rtr1",
        "host": "192.0.2.1",
        "identity": "core",
        "version": "7.16",
        "user": "alice",
        "via": "ssh",
        "address": "198.51.100.7",
        "source": "log",
        "inferred": False,
        "sections": ("/ip firewall filter", "/ip address"),
        "sentences": (
            ("/ip firewall filter", ("rule 'drop ssh' changed: action accept → drop",)),
            ("/ip address", ("address 192.0.2.9/24 added on ether2",)),
        ),
        "diff": DIFF,
        "commands": ('/ip firewall filter set [find comment="drop ssh"] action=drop',),
        "revert": '/ip firewall filter set [find comment="drop ssh"] action=accept\n'
        "/ip address remove [find address=192.0.2.9/24]",
        "commit": "3f2a9c1d",
        "counts": {"added": 1, "changed": 1},
        "recipients": ("noc@example.net",),
    }
    values.update(overrides)
    return ChangeReport(**values)
