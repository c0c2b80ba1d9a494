"""1 · Inventory: Ansible-style YAML to Device records."""
