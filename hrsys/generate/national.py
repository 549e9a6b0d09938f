from hrsys.config import Settings


def generate_national(settings: Settings, staff: int, seed: int) -> None:
    raise NotImplementedError
