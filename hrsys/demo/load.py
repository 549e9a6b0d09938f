"""Placeholder replaced below."""

from hrsys.config import Settings


def load_demo(settings: Settings, force: bool = False) -> str:
    raise NotImplementedError
