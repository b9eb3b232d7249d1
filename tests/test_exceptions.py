"""Every exception crosses pickle (task queues, process pools) whole; messages name the URL and request id."""

from __future__ import annotations

import concurrent.futures
import copy
import inspect
import multiprocessing
import pickle
from datetime import UTC, datetime
from typing import Any

import pytest
from multidict import CIMultiDict, CIMultiDictProxy

from plugchoice_async import exceptions
from plugchoice_async.exceptions import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    AuthenticationError,
    BadRequestError,
    BulkCommandTimeoutError,
    ChargerTimeoutError,
    ClientClosedError,
    ConfigurationError,
    ConflictError,
    InternalServerError,
    InvalidRequestError,
    NotFoundError,
    PermissionDeniedError,
    PlugchoiceError,
    RateLimitError,
    RateLimiterUnavailableError,
    ResponseValidationError,
    SessionStartUnreadableError,
    UnprocessableEntityError,
)
from plugchoice_async.models import (
    BulkCommandCharger,
    BulkCommandResult,
    BulkCommandRun,
    BulkResultStatus,
    BulkRunStatus,
)

URL = "https://api.plugchoice.com/api/v3/chargers/3f2b6c1e-0000-4000-8000-000000000000"
PATH = "/chargers/3f2b6c1e-0000-4000-8000-000000000000"
WIRE_HEADERS = CIMultiDictProxy(
    CIMultiDict({"Content-Type": "application/json", "X-Request-Id": "req-7f3a", "Retry-After": "17"})
)

RUN = BulkCommandRun(
    uuid="9d2c1a4e-0000-4000-8000-000000000000",
    command="Reset",
    data={"type": "Soft"},
    status=BulkRunStatus.RUNNING,
    total_count=3,
    sent_count=1,
    offline_count=1,
    error_count=0,
    skipped_count=0,
    results=(
        BulkCommandResult(
            charger_uuid="3f2b6c1e-0000-4000-8000-000000000000",
            status=BulkResultStatus.SENT,
            executed_at=datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC),
            charger=BulkCommandCharger(uuid="3f2b6c1e-0000-4000-8000-000000000000", identity="CP-1"),
        ),
        BulkCommandResult(charger_uuid="3f2b6c1e-0000-4000-8000-000000000001", status="offline", message="offline"),
        BulkCommandResult(charger_uuid="3f2b6c1e-0000-4000-8000-000000000002", status="pending"),
    ),
)


def _status(cls: type[APIStatusError], status: int, **extra: Any) -> APIStatusError:
    return cls(
        status=status,
        method="POST",
        path=PATH,
        message="The server said no.",
        body={"message": "The server said no."},
        headers=WIRE_HEADERS,
        url=URL,
        request_id="req-7f3a",
        **extra,
    )


# One realistic instance of every class the module defines (the test below checks none is missing).
SAMPLES: dict[type[PlugchoiceError], PlugchoiceError] = {
    PlugchoiceError: PlugchoiceError("something failed"),
    ConfigurationError: ConfigurationError("base_url must be an http(s) URL, got 'ftp://x'"),
    InvalidRequestError: InvalidRequestError("interval must be at least 0, got -1"),
    ClientClosedError: ClientClosedError("the client is closed: create a new PlugchoiceClient"),
    RateLimiterUnavailableError: RateLimiterUnavailableError("Redis at redis://:***@cache:6379/0 cannot be reached"),
    BulkCommandTimeoutError: BulkCommandTimeoutError(
        "bulk command run not completed after 60 s", run=RUN, timeout=60.0
    ),
    APIConnectionError: APIConnectionError(
        "connection failed: ServerDisconnectedError",
        method="POST",
        path=f"{PATH}/actions/start",
        url=f"{URL}/actions/start",
        request_id="req-1",
        action=True,
    ),
    APITimeoutError: APITimeoutError(
        "timed out connecting to the server", method="GET", path=PATH, request_sent=False, url=URL
    ),
    APIStatusError: _status(APIStatusError, 418),
    BadRequestError: _status(BadRequestError, 400),
    AuthenticationError: _status(AuthenticationError, 401),
    PermissionDeniedError: _status(PermissionDeniedError, 403),
    NotFoundError: _status(NotFoundError, 404),
    ConflictError: _status(ConflictError, 409),
    UnprocessableEntityError: _status(
        UnprocessableEntityError, 422, errors={"name": ["The name field is required."], "email": ["Taken.", "Bad."]}
    ),
    RateLimitError: _status(RateLimitError, 429, retry_after=17.0),
    InternalServerError: _status(InternalServerError, 502),
    ChargerTimeoutError: _status(ChargerTimeoutError, 504),
    ResponseValidationError: ResponseValidationError(
        "the answer does not fit Charger: $.data.uuid: required field missing",
        method="GET",
        path=PATH,
        status=200,
        body={"data": {"identity": "CP-1"}},
        url=URL,
        request_id="req-9",
    ),
    SessionStartUnreadableError: SessionStartUnreadableError(
        "the answer does not fit PublicChargingSession: $.data.status: expected a string",
        session_token="tok-0123456789",
        method="POST",
        path="/public-charging/sessions",
        status=201,
        body={"data": {"status": 5}, "session_token": "***"},
    ),
}


def _module_classes() -> set[type]:
    return {obj for _, obj in inspect.getmembers(exceptions, inspect.isclass) if obj.__module__ == exceptions.__name__}


def _expected_state(exc: BaseException) -> dict[str, Any]:
    state = dict(vars(exc))
    if "headers" in state:
        state["headers"] = dict(state["headers"].items())
    return state


def test_every_class_has_a_sample() -> None:
    assert set(SAMPLES) == _module_classes()
    for cls, sample in SAMPLES.items():
        assert type(sample) is cls


def _class_name(cls: type[PlugchoiceError]) -> str:
    return cls.__name__


_SORTED_CLASSES = sorted(SAMPLES, key=_class_name)


@pytest.mark.parametrize("cls", _SORTED_CLASSES, ids=_class_name)
def test_pickle_round_trip_keeps_type_message_and_every_attribute(cls: type[PlugchoiceError]) -> None:
    original = SAMPLES[cls]
    for protocol in range(pickle.DEFAULT_PROTOCOL, pickle.HIGHEST_PROTOCOL + 1):
        restored = pickle.loads(pickle.dumps(original, protocol=protocol))
        assert type(restored) is cls
        assert str(restored) == str(original)
        assert restored.args == original.args
        assert vars(restored) == _expected_state(original)


def test_attributes_survive_with_their_values() -> None:
    status = pickle.loads(pickle.dumps(SAMPLES[RateLimitError]))
    assert isinstance(status, RateLimitError)
    assert (status.status, status.method, status.path, status.url) == (429, "POST", PATH, URL)
    assert (status.message, status.retry_after, status.request_id) == ("The server said no.", 17.0, "req-7f3a")
    assert status.body == {"message": "The server said no."}
    assert type(status.headers) is dict  # aiohttp's CIMultiDictProxy cannot be pickled
    assert status.headers == {"Content-Type": "application/json", "X-Request-Id": "req-7f3a", "Retry-After": "17"}

    invalid = pickle.loads(pickle.dumps(SAMPLES[UnprocessableEntityError]))
    assert isinstance(invalid, UnprocessableEntityError)
    assert invalid.errors == {"name": ["The name field is required."], "email": ["Taken.", "Bad."]}

    lost = pickle.loads(pickle.dumps(SAMPLES[APITimeoutError]))
    assert isinstance(lost, APITimeoutError)
    assert (lost.request_sent, lost.url, lost.request_id, lost.action) == (False, URL, None, False)

    timeout = pickle.loads(pickle.dumps(SAMPLES[BulkCommandTimeoutError]))
    assert isinstance(timeout, BulkCommandTimeoutError)
    assert timeout.run == RUN
    assert timeout.run.results[0].executed_at == datetime(2026, 1, 10, 1, 14, 32, tzinfo=UTC)
    assert timeout.timeout == 60.0


def test_the_live_error_keeps_its_case_insensitive_headers() -> None:
    exc = SAMPLES[NotFoundError]
    assert isinstance(exc, NotFoundError)
    pickle.dumps(exc)
    assert exc.headers is WIRE_HEADERS  # pickling converted a copy, not the original
    assert exc.headers["x-request-id"] == "req-7f3a"


def test_copy_and_deepcopy_keep_the_error_whole() -> None:
    original = SAMPLES[UnprocessableEntityError]
    for clone in (copy.copy(original), copy.deepcopy(original)):
        assert type(clone) is UnprocessableEntityError
        assert str(clone) == str(original)
        assert vars(clone) == _expected_state(original)


def test_notes_survive_pickle() -> None:
    exc = _status(ConflictError, 409)
    exc.add_note("while attaching the charger")
    restored = pickle.loads(pickle.dumps(exc))
    assert restored.__notes__ == ["while attaching the charger"]


class _AppError(NotFoundError):
    """An application's own subclass, with its own keyword-only constructor."""

    def __init__(self, *, charger: str, **kwargs: Any) -> None:
        self.charger = charger
        super().__init__(**kwargs)


def test_a_subclass_with_its_own_constructor_pickles() -> None:
    exc = _AppError(charger="CP-1", status=404, method="GET", path=PATH, message="Not found.")
    restored = pickle.loads(pickle.dumps(exc))
    assert type(restored) is _AppError
    assert restored.charger == "CP-1"
    assert str(restored) == str(exc)


def _fail_in_worker(name: str) -> None:
    raise SAMPLES[getattr(exceptions, name)]


def test_errors_cross_a_process_pool() -> None:
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing shared but the pickle
    with concurrent.futures.ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
        for name in ("RateLimitError", "BulkCommandTimeoutError", "APIConnectionError"):
            with pytest.raises(getattr(exceptions, name)) as info:
                pool.submit(_fail_in_worker, name).result(timeout=60)
            assert str(info.value) == str(SAMPLES[getattr(exceptions, name)])
            assert vars(info.value) == _expected_state(SAMPLES[getattr(exceptions, name)])


# -- messages: URL, request id, charger commands ------------------------------------------------------


def test_status_error_message_names_the_url_and_the_request_id() -> None:
    assert str(SAMPLES[NotFoundError]) == f"404 from POST {URL}: The server said no. (request id req-7f3a)"
    limited = str(SAMPLES[RateLimitError])
    assert limited == f"429 from POST {URL}: The server said no. (retry after 17 s) (request id req-7f3a)"
    charger = str(SAMPLES[ChargerTimeoutError])
    assert charger.startswith(f"504 from POST {URL}: The server said no. (the charger did not confirm in time")
    assert charger.endswith("(request id req-7f3a)")


def test_without_url_or_request_id_the_message_is_as_before() -> None:
    exc = NotFoundError(status=404, method="GET", path="/chargers/x", message="Not found.")
    assert str(exc) == "404 from GET /chargers/x: Not found."
    assert (exc.url, exc.request_id) == (None, None)
    conn = APIConnectionError("connection failed: reset", method="GET", path="/user")
    assert str(conn) == "GET /user: connection failed: reset"
    assert (conn.url, conn.request_id, conn.action, conn.request_sent) == (None, None, False, True)
    bad = ResponseValidationError("not JSON", method="GET", path="/user", status=200)
    assert str(bad) == "GET /user: not JSON"
    assert (bad.url, bad.request_id) == (None, None)


@pytest.mark.parametrize("cls", [APIConnectionError, APITimeoutError])
def test_a_command_that_may_have_been_sent_says_it_may_have_run(cls: type[APIConnectionError]) -> None:
    path = "/chargers/3f2b6c1e-0000-4000-8000-000000000000/actions/stop"
    sent = cls("timed out waiting for the answer", method="POST", path=path, action=True, request_id="r-1")
    assert str(sent) == (
        f"POST {path}: timed out waiting for the answer; the command may still have been executed; "
        "check the charger's state before sending it again (request id r-1)"
    )
    assert sent.action is True


@pytest.mark.parametrize(
    "exc",
    [
        APITimeoutError("timed out connecting", method="POST", path="/c/actions/stop", request_sent=False, action=True),
        APIConnectionError("connection failed: reset", method="GET", path="/chargers/x"),  # not a command
    ],
)
def test_no_warning_when_no_command_can_have_run(exc: APIConnectionError) -> None:
    assert "may still have been executed" not in str(exc)
