"""A tenant's configuration as one YAML document: export, compare, apply.

See docs/configuration-transfer.md.
"""
