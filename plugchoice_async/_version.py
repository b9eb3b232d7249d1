"""The SDK's version: the one place it is written (pyproject.toml reads it through [tool.setuptools.dynamic])."""

__version__ = "0.1.0"
