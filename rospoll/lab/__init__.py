"""RouterOS SSH simulator for tests and demos; imports nothing from the rest of rospoll."""

from rospoll.lab.fleet import LabFleet
from rospoll.lab.router import LabRouter

__all__ = ["LabFleet", "LabRouter"]
