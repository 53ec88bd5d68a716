"""Clocks, bundles, signatures and merge."""
