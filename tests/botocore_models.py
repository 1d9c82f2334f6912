"""botocore's models read once per test process, whatever the number of sessions; each session's client classes
made once.

Every botocore session loads and parses its own copy of each model it uses (EC2's alone is megabytes of JSON),
and lists botocore's data directories to find them: 0.1 to 0.2 s for a session's first client. The code under
test makes a session where Lambda would (each ``AwsSession``, each command run in-process, each handler loaded
as a cold start), so the suite makes thousands, and parsing the same files again was its largest single cost.

botocore already shares one parsed model among all the clients of a session (its loader caches per session);
this shares it among the sessions of the process, for botocore's own loader only, and never for the models
that botocore changes in place (S3's and S3 Control's operations lose their ``{Bucket}`` or ``{AccountId}``
part on a client's first call). moto's loader, which merges moto's extras into the models it reads, keeps its
own.

A session makes a new class for each client (EC2's has some 800 methods: three quarters of the cost of a client
once the model is loaded); the class of a service is the same for every client of one session, so it is kept for
the session's other clients.

Processes the tests start (the local containers, the demo, installed commands) are untouched: their cold start
stays what Lambda's and a user's is.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from typing import Any

from botocore.client import ClientCreator
from botocore.loaders import Loader

CHANGED_IN_PLACE = frozenset({"s3", "s3control"})

_MODELS: dict[tuple[Any, ...], Any] = {}
# A session's events (which decide a client class's bases) -> (service, its model's description) -> the class.
_CLIENT_CLASSES: weakref.WeakKeyDictionary[Any, dict[tuple[str, int], type]] = weakref.WeakKeyDictionary()


def share_models() -> None:
    """Make every botocore loader of this process share the models, data files and service listings of the
    others with the same search paths; calling it again changes nothing."""
    if getattr(Loader.load_service_model, "shared", False):
        return
    Loader.load_service_model = _shared(
        "load_service_model", lambda service_name, *_, **__: service_name not in CHANGED_IN_PLACE
    )
    Loader.load_data_with_path = _shared("load_data_with_path")
    Loader.list_available_services = _shared("list_available_services")
    create_client_class = ClientCreator._create_client_class

    def client_class_of_the_session(self: ClientCreator, service_name: str, service_model: Any) -> type:
        classes = _CLIENT_CLASSES.setdefault(self._event_emitter, {})
        # The description outlives the class: the session's loader, or _MODELS, keeps it.
        key = (service_name, id(service_model._service_description))
        if key not in classes:
            classes[key] = create_client_class(self, service_name, service_model)
        return classes[key]

    ClientCreator._create_client_class = client_class_of_the_session


def _shared(name: str, shareable: Callable[..., bool] = lambda *_, **__: True) -> Callable[..., Any]:
    """The loader's method ``name``, its result kept for every loader of botocore's with the same search paths."""
    method = getattr(Loader, name)

    def shared(self: Loader, *args: Any, **kwargs: Any) -> Any:
        if type(self) is not Loader or not shareable(*args, **kwargs):
            return method(self, *args, **kwargs)
        key = (name, tuple(self.search_paths), args, tuple(sorted(kwargs.items())))
        if key not in _MODELS:
            _MODELS[key] = method(self, *args, **kwargs)
        return _MODELS[key]

    shared.shared = True  # type: ignore[attr-defined]
    return shared
