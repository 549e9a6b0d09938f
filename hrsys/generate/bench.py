def run_bench(**kw: object) -> None:
    raise NotImplementedError
