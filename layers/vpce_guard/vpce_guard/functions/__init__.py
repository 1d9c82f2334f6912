"""The application behind each function of the hub's evaluation side, one module per function, each importing
only what its function uses (a cold start imports no other function's code): ``on_change``, ``config_rule``,
``sweep`` and ``sweep_worker``; ``evaluation`` is what the three that evaluate share, ``vpce_guard.lambda_app``
what all four share. The notifier's is ``vpce_guard.notify.function``."""
