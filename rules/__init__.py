"""opscheck's built-in rule packs, one folder per family. Each pack is registered through
the `opscheck.rules` entry-point group, like any third-party pack."""
