"""Fromline: container-image security evidence into audit packages."""

__version__ = "0.1.0"
