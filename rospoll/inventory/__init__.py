"""1 · Inventory: Ansible-style YAML to Device records.

>>> from rospoll.inventory import load_inventory
>>> inventory = load_inventory(Path("inventory.yml"))
>>> [d.name for d in inventory.filter("core*").devices]
['core1', 'core2']
"""

from rospoll.inventory.model import Device, Inventory, Settings
from rospoll.inventory.resolve import load_inventory

__all__ = ["Device", "Inventory", "Settings", "load_inventory"]
