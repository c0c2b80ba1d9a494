"""KnownHosts and the pinning policy, on files only: no SSH connection is made."""

from __future__ import annotations

import io
import logging
import stat
import sys
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from rospoll.device import hostkeys
from rospoll.device.hostkeys import (
    KnownHosts,
    PinningClient,
    PinningPolicy,
    fingerprint,
    host_id,
)
from rospoll.errors import HostKeyChangedError, StoreError

POSIX_MODES = pytest.mark.skipif(sys.platform == "win32", reason="no POSIX file modes")
ROUTER = "[10.0.0.1]:2222"


def _ed25519() -> paramiko.PKey:
    private = ed25519.Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.OpenSSH,
        serialization.NoEncryption(),
    )
    return paramiko.Ed25519Key.from_private_key(io.StringIO(private.decode()))


@pytest.fixture(scope="module")
def ed_a() -> paramiko.PKey:
    return _ed25519()


@pytest.fixture(scope="module")
def ed_b() -> paramiko.PKey:
    return _ed25519()


@pytest.fixture(scope="module")
def rsa() -> paramiko.PKey:
    return paramiko.RSAKey.generate(2048)


def _line(name: str, key: paramiko.PKey) -> str:
    return f"{name} {key.get_name()} {key.get_base64()}\n"


def _fingerprints(keys: list[paramiko.PKey]) -> list[str]:
    return [fingerprint(key) for key in keys]


def test_host_id_is_as_openssh_files_it() -> None:
    assert host_id("10.0.0.1", 22) == "10.0.0.1"
    assert host_id("10.0.0.1", 2222) == "[10.0.0.1]:2222"
    assert host_id("fe80::1", 2222) == "[fe80::1]:2222"


def test_first_use_pins_the_key_and_a_later_key_does_not_replace_it(
    tmp_path: Path, ed_a: paramiko.PKey, ed_b: paramiko.PKey
) -> None:
    pins = KnownHosts(tmp_path / "state" / "known_hosts")
    assert pins.get(ROUTER) is None and pins.keys(ROUTER) == []
    assert pins.pin(ROUTER, ed_a) is ed_a
    assert (tmp_path / "state" / "known_hosts").read_text() == _line(ROUTER, ed_a)
    assert fingerprint(pins.pin(ROUTER, ed_b)) == fingerprint(ed_a)  # the pin stays
    reloaded = KnownHosts(tmp_path / "state" / "known_hosts")
    assert _fingerprints(reloaded.keys(ROUTER)) == [fingerprint(ed_a)]


def test_two_key_types_for_one_router_are_both_kept_after_a_save_and_reload(
    tmp_path: Path, ed_a: paramiko.PKey, ed_b: paramiko.PKey, rsa: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(_line("10.0.0.1", ed_a) + _line("10.0.0.1", rsa))  # as ssh-keyscan writes
    pins = KnownHosts(path)
    assert _fingerprints(pins.keys("10.0.0.1")) == [fingerprint(ed_a), fingerprint(rsa)]
    pins.pin(ROUTER, ed_b)  # another router: the file is written again
    reloaded = KnownHosts(path)
    assert _fingerprints(reloaded.keys("10.0.0.1")) == [fingerprint(ed_a), fingerprint(rsa)]
    assert path.read_text() == _line("10.0.0.1", ed_a) + _line("10.0.0.1", rsa) + _line(
        ROUTER, ed_b
    )
    # the client checks the router against both: whichever type it offers is verified
    client = PinningClient(reloaded, "core1", "10.0.0.1", 22)
    offered = client.get_host_keys().lookup("10.0.0.1")
    assert sorted(offered.keys()) == ["ssh-ed25519", "ssh-rsa"]
    # a first connection racing another one is refused only when its key is not the pinned one
    PinningPolicy(reloaded, "core1").missing_host_key(client, "10.0.0.1", rsa)


def test_changed_key_raises_naming_the_device_and_both_fingerprints(
    tmp_path: Path, ed_a: paramiko.PKey, ed_b: paramiko.PKey, rsa: paramiko.PKey
) -> None:
    pins = KnownHosts(tmp_path / "known_hosts")
    pins.pin(ROUTER, ed_a)
    policy = PinningPolicy(pins, "core1")
    for offered in (ed_b, rsa):  # another key of the pinned type, or another type
        with pytest.raises(HostKeyChangedError) as caught:
            policy.missing_host_key(paramiko.SSHClient(), ROUTER, offered)
        error = caught.value
        assert error.device == "core1"
        assert (error.known, error.offered) == (fingerprint(ed_a), fingerprint(offered))
        assert str(error).startswith("core1: SSH host key changed: pinned SHA256:")
        assert fingerprint(ed_a) in str(error) and fingerprint(offered) in str(error)
    assert _fingerprints(pins.keys(ROUTER)) == [fingerprint(ed_a)]


def test_paramikos_bad_host_key_becomes_host_key_changed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ed_a: paramiko.PKey, ed_b: paramiko.PKey
) -> None:
    def refuse(self: paramiko.SSHClient, hostname: str, port: int, **kwargs: object) -> None:
        raise paramiko.BadHostKeyException(hostname, ed_b, ed_a)

    monkeypatch.setattr(paramiko.SSHClient, "connect", refuse)
    client = PinningClient(KnownHosts(tmp_path / "kh"), "core1", "10.0.0.1", 2222)
    with pytest.raises(HostKeyChangedError) as caught:
        client.connect("10.0.0.1", 2222, sock=object())
    assert (caught.value.known, caught.value.offered) == (fingerprint(ed_a), fingerprint(ed_b))


def test_port_entries_apply_to_their_port_only(
    tmp_path: Path, ed_a: paramiko.PKey, ed_b: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(_line("[10.0.0.1]:2222", ed_a) + _line("10.0.0.1", ed_b))
    pins = KnownHosts(path)
    assert _fingerprints(pins.keys(host_id("10.0.0.1", 2222))) == [fingerprint(ed_a)]
    assert _fingerprints(pins.keys(host_id("10.0.0.1", 22))) == [fingerprint(ed_b)]
    assert pins.keys(host_id("10.0.0.1", 2223)) == []
    assert pins.forget("[10.0.0.1]:2222") and not pins.forget("[10.0.0.1]:2222")
    assert path.read_text() == _line("10.0.0.1", ed_b)


def test_hashed_and_multi_name_lines_are_read_and_forgotten(
    tmp_path: Path, ed_a: paramiko.PKey, ed_b: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    hashed = paramiko.HostKeys.hash_host(ROUTER)
    path.write_text(_line(hashed, ed_a) + _line("core2,10.0.0.2", ed_b))
    pins = KnownHosts(path)
    assert _fingerprints(pins.keys(ROUTER)) == [fingerprint(ed_a)]
    assert pins.keys("[10.0.0.9]:2222") == []
    assert _fingerprints(pins.keys("10.0.0.2")) == _fingerprints(pins.keys("core2"))
    assert pins.forget(ROUTER)
    assert path.read_text() == _line("core2", ed_b) + _line("10.0.0.2", ed_b)  # one per name


def test_unreadable_lines_are_skipped_with_a_warning_and_written_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, ed_a: paramiko.PKey, ed_b: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    bad = [
        "# pinned by hand\n",
        "10.0.0.7 ssh-ed25519\n",  # line 2: too few fields
        "10.0.0.8 ssh-ed25519 !!!not-base64\n",  # 3
        f"10.0.0.9 ssh-unknown {ed_b.get_base64()}\n",  # 4
        f"@revoked 10.0.0.10 {ed_b.get_name()} {ed_b.get_base64()}\n",  # 5
        f"|1|bad|bad {ed_b.get_name()} {ed_b.get_base64()}\n",  # 6
        f"10.0.0.11 ssh-rsa {ed_b.get_base64()}\n",  # 7: an ed25519 blob called rsa
    ]
    path.write_text("".join(bad) + _line(ROUTER, ed_a))
    with caplog.at_level(logging.WARNING, logger=hostkeys.__name__):
        pins = KnownHosts(path)
        assert _fingerprints(pins.keys(ROUTER)) == [fingerprint(ed_a)]
        assert pins.keys("10.0.0.8") == [] and pins.keys("10.0.0.10") == []
    messages = [record.getMessage() for record in caplog.records]
    assert len(messages) == 6
    assert messages[0] == (
        f"{path}:2: expected 'host-names key-type base64-key'; line ignored (kept in the file)"
    )
    assert messages[1].startswith(f"{path}:3: unreadable ssh-ed25519 key (")
    assert messages[2].startswith(f"{path}:4: key type 'ssh-unknown' not supported")
    assert messages[3].startswith(f"{path}:5: @revoked lines are not supported")
    assert messages[4].startswith(f"{path}:6: malformed hashed host name")
    assert messages[5].startswith(f"{path}:7: unreadable ssh-rsa key (")
    caplog.clear()
    pins.keys(ROUTER)
    assert caplog.records == []  # once per change of the file, not once per look-up
    pins.pin("[10.0.0.2]:2222", ed_b)
    assert path.read_text() == "".join(bad) + _line(ROUTER, ed_a) + _line("[10.0.0.2]:2222", ed_b)


def test_a_second_key_of_one_type_is_ignored_until_forgotten(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, ed_a: paramiko.PKey, ed_b: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(_line(ROUTER, ed_a) + _line(ROUTER, ed_b) + _line(ROUTER, ed_a))
    with caplog.at_level(logging.WARNING, logger=hostkeys.__name__):
        pins = KnownHosts(path)
        assert _fingerprints(pins.keys(ROUTER)) == [fingerprint(ed_a)]
    (record,) = caplog.records
    assert record.getMessage() == (
        f"{path}:2: a second ssh-ed25519 key for {ROUTER}, {fingerprint(ed_b)}, ignored; "
        f"line 1 ({fingerprint(ed_a)}) is the pin"
    )
    pins.pin("other", ed_b)  # written back without the exact duplicate
    assert path.read_text() == _line(ROUTER, ed_a) + _line(ROUTER, ed_b) + _line("other", ed_b)
    assert pins.forget(ROUTER)
    assert path.read_text() == _line("other", ed_b)


def test_restore_puts_back_every_key_forget_took(
    tmp_path: Path, ed_a: paramiko.PKey, rsa: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    path.write_text(_line(ROUTER, ed_a) + _line(ROUTER, rsa))
    pins = KnownHosts(path)
    old = pins.keys(ROUTER)
    assert pins.forget(ROUTER) and pins.keys(ROUTER) == []
    pins.restore(ROUTER, old)
    assert _fingerprints(KnownHosts(path).keys(ROUTER)) == [fingerprint(ed_a), fingerprint(rsa)]


def test_a_failed_write_pins_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, ed_a: paramiko.PKey, ed_b: paramiko.PKey
) -> None:
    pins = KnownHosts(tmp_path / "known_hosts")
    pins.pin("other", ed_b)

    def full_disk(path: Path, data: bytes | str, **kwargs: object) -> None:
        raise StoreError(f"cannot write {path}: No space left on device")

    monkeypatch.setattr(hostkeys, "atomic_write", full_disk)
    with pytest.raises(StoreError):
        pins.pin(ROUTER, ed_a)
    assert pins.keys(ROUTER) == []  # not in the file, so not pinned in memory either
    assert _fingerprints(pins.keys("other")) == [fingerprint(ed_b)]


def test_bytes_that_are_not_utf8_are_written_back_unchanged(
    tmp_path: Path, ed_a: paramiko.PKey
) -> None:
    path = tmp_path / "known_hosts"
    path.write_bytes(b"# caf\xe9 router\n")
    KnownHosts(path).pin(ROUTER, ed_a)
    assert path.read_bytes() == b"# caf\xe9 router\n" + _line(ROUTER, ed_a).encode()


@POSIX_MODES
def test_the_file_is_private(tmp_path: Path, ed_a: paramiko.PKey) -> None:
    path = tmp_path / "state" / "known_hosts"
    KnownHosts(path).pin(ROUTER, ed_a)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    path.chmod(0o644)  # loosened by hand: the next write makes it private again
    KnownHosts(path).pin("other", ed_a)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
