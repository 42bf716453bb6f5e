"""Shared pytest plugin for every lab (see common/pytest_plugin.py)."""

pytest_plugins = ["common.pytest_plugin"]
