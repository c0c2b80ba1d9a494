"""Whether an export's /system logging still sends info to memory (the follower's source)."""

from __future__ import annotations

import pytest

from rospoll.attribution.logging_rule import logs_changes_to_memory


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        ([], True),  # compact export: the default rule is not printed, so it is on
        (["/ip address", "add address=10.0.0.1/24 interface=ether1"], True),
        (["/system logging", "set 0 disabled=yes"], False),
        (["/system logging set 0 disabled=yes"], False),  # terse
        (["/system logging", "set 0 action=disk"], False),
        (["/system logging", "set 0 topics=error"], False),
        (["/system logging", "set 0 topics=info,!system"], False),
        (["/system logging", "set 0 disabled=yes", "add action=memory topics=system,info"], True),
        (["/system logging", "set 0 disabled=yes", "add action=memory disabled=yes"], False),
        (["/system logging", "set 0 disabled=yes", "add action=remote topics=info"], False),
        (["/system logging", "set 0 prefix=core1"], True),
        (["/system logging action", "set 0 memory-lines=2000"], True),
    ],
)
def test_logs_changes_to_memory(lines: list[str], expected: bool) -> None:
    assert logs_changes_to_memory(lines) is expected
