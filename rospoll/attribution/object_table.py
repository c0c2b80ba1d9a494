"""Data: RouterOS object descriptions (log and history texts) -> configuration sections.

RouterOS names the touched object in words, not by path: ``filter rule added by admin``,
``SNTP client configuration changed``. This table maps those words to the section paths of
``/export`` that they can touch. It is data only; :mod:`rospoll.attribution.objects` reads it.

Conventions:

- keys are lower case; lookups are case-insensitive;
- a path ending in ``*`` means "this section and every section below it"
  (``/interface*`` covers ``/interface ethernet``, ``/interface bridge port``, ...);
- an empty tuple means "known, but cannot be narrowed to a section" (``item``, ``config``);
- a key also matches descriptions that append an item name: ``user admin`` and
  ``pool default-dhcp`` are looked up as ``user`` and ``pool``.

Sources: routeros.md §3.2/§3.3 (verified v6 log texts, v7 log texts, the v7.18.2 history
fixture); rows marked ``# guess`` follow the same phrasing but were not seen in a sample.
"""

from __future__ import annotations

OBJECT_SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # firewall
    ("filter rule", ("/ip firewall filter",)),
    ("nat rule", ("/ip firewall nat",)),
    ("mangle rule", ("/ip firewall mangle",)),
    ("raw rule", ("/ip firewall raw",)),  # guess
    ("address list entry", ("/ip firewall address-list",)),
    ("filter6 rule", ("/ipv6 firewall filter",)),
    ("nat6 rule", ("/ipv6 firewall nat",)),  # guess
    ("mangle6 rule", ("/ipv6 firewall mangle",)),  # guess
    ("raw6 rule", ("/ipv6 firewall raw",)),  # guess
    ("address6 list entry", ("/ipv6 firewall address-list",)),  # guess
    # addressing, dns, dhcp
    ("address", ("/ip address",)),
    ("address6", ("/ipv6 address",)),  # guess
    ("route", ("/ip route",)),  # guess
    ("dns", ("/ip dns",)),
    ("static dns entry", ("/ip dns static",)),
    ("dhcp client", ("/ip dhcp-client",)),
    ("dhcp server", ("/ip dhcp-server",)),
    ("dhcp server network", ("/ip dhcp-server network",)),  # guess
    ("dhcp server lease", ("/ip dhcp-server lease",)),  # guess
    ("pool", ("/ip pool",)),
    # interfaces
    ("device", ("/interface*",)),
    ("bridge port", ("/interface bridge port",)),
    ("bridge vlan", ("/interface bridge vlan",)),  # guess
    ("interface list", ("/interface list",)),  # guess
    ("interface list member", ("/interface list member",)),
    # system
    ("system identity", ("/system identity",)),
    ("log rule", ("/system logging",)),
    ("log action", ("/system logging action",)),  # guess
    ("sntp client configuration", ("/system ntp client",)),
    ("scheduled script", ("/system scheduler",)),
    ("script", ("/system script",)),  # guess
    ("user", ("/user",)),
    ("user group", ("/user group",)),  # guess
    ("mac winbox setting", ("/tool mac-server mac-winbox",)),
    ("disk and smb server config", ("/disk*", "/ip smb*")),
    # too general to narrow
    ("item", ()),
    ("config", ()),
)
"""(description, candidate sections) pairs, in no particular order."""

SPECIAL_PHRASES: tuple[tuple[str, str, str], ...] = (
    # Scheduler texts that do not follow "<object> <verb>" (third-party doc, unverified).
    ("new script scheduled", "scheduled script", "added"),
    ("changed scheduled script settings", "scheduled script", "changed"),
    ("script removed from scheduler", "scheduled script", "removed"),
)
"""(whole phrase before `` by ``, object, verb) for change texts with their own word order."""
