"""vpce-guard's local tooling: the AWS emulator, the SAM application run locally, the demo and its estates, the
sample events, and the webhook receiver. None of it ships in the Lambda layer; it is installed by the ``local``
extra (``pip install 'vpce-guard[local]'``), which brings moto and the SAM translator. The runtime package
``vpce_guard`` never imports it (``make test`` holds that).

The local commands work on a clone of the repository: the sample events (``events/``), the templates and the
member stack are read from it, through ``in_checkout``.
"""

from __future__ import annotations

from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]


def in_checkout(*parts: str) -> Path:
    """A file or directory of the repository's clone this package runs from; a clear error where there is none
    (an installed wheel holds the packages, not the repository's events and templates)."""
    path = CHECKOUT.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(
            f"{'/'.join(parts)} is read from a clone of the vpce-guard repository, and {CHECKOUT} is not one: "
            "run the local commands from a clone (git clone, then make demo)"
        )
    return path
