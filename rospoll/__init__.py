"""rospoll: who changed what on MikroTik RouterOS routers."""

__version__ = "0.1.0"
__all__ = ["__version__"]
