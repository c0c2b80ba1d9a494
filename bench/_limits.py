"""Process limits shared by the benchmarks and their lab runners."""

from __future__ import annotations


def raise_nofile() -> str:
    """Soft RLIMIT_NOFILE up to the hard limit (500 routers need fds); returns ``soft/hard``."""
    try:
        import resource
    except ImportError:  # Windows: no rlimits
        return "n/a"
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return f"{soft}/{hard}"
