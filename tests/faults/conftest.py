"""The fault suite uses the end-to-end fixtures: lab routers and an SMTP server."""

from tests.e2e.conftest import make_lab, smtp

__all__ = ["make_lab", "smtp"]
