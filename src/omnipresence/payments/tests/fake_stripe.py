"""A local fake of the few Stripe endpoints the Stripe provider uses, over real HTTP on 127.0.0.1.

It checks the request shape the way Stripe does (Bearer test key, Stripe-Version, form-encoded bodies in
bracket notation, an Idempotency-Key on every POST) and answers in Stripe's error format, keeps sessions,
payment intents and refunds in memory, replays idempotent requests, and lets tests inject faults and
sign webhooks. Stripe's real behaviour is the reference; where this fake is simpler, the docstring says.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

TEST_SECRET_KEY = "sk_test_omnipresence_fake"
CHECKOUT_BASE = "https://checkout.stripe.com/c/pay"

# Stripe only accepts a Checkout Session expiry 30 minutes to 24 hours after creation.
MIN_EXPIRY = 30 * 60
MAX_EXPIRY = 24 * 60 * 60

_API_VERSION = re.compile(r"^\d{4}-\d{2}-\d{2}(\.[a-z]+)?$")
_INTEGER = re.compile(r"^-?\d+$")
_KEY = r"\[[^\[\]]+\]"
_SESSION_FIELDS = [
    re.compile(pattern)
    for pattern in (
        r"mode",
        r"success_url",
        r"cancel_url",
        r"client_reference_id",
        r"customer_email",
        r"expires_at",
        r"locale",
        rf"metadata{_KEY}",
        rf"payment_intent_data\[metadata\]{_KEY}",
        r"line_items\[\d+\]\[quantity\]",
        r"line_items\[\d+\]\[price_data\]\[(currency|unit_amount)\]",
        r"line_items\[\d+\]\[price_data\]\[product_data\]\[(name|description)\]",
        r"expand\[\d+\]",
    )
]
_REFUND_FIELDS = [re.compile(p) for p in (r"payment_intent", r"amount", r"reason", rf"metadata{_KEY}")]


class StripeFakeError(Exception):
    """An answer in Stripe's error format: {"error": {"type", "message", "code", "param"}}."""

    def __init__(self, status: int, message: str, *, type_: str = "invalid_request_error", code=None, param=None,
                 decline_code=None):  # fmt: skip
        super().__init__(message)
        self.status = status
        self.body = {"error": {"type": type_, "message": message}}
        for name, value in (("code", code), ("param", param), ("decline_code", decline_code)):
            if value is not None:
                self.body["error"][name] = value


@dataclass
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]  # as sent; use header() for a case-insensitive look-up
    fields: dict[str, str]  # the flat form (POST body or query string): {"line_items[0][quantity]": "1"}
    status: int = 0  # what the fake answered; 0 when the connection was dropped
    replayed: bool = False  # answered from the idempotency store

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)


@dataclass
class _Fault:
    kind: str  # "500" | "drop" | "hang" | "error"
    after_processing: bool = False  # the request takes effect, only the answer is lost
    error: StripeFakeError | None = None


@dataclass
class _StoredAnswer:
    method: str
    path: str
    fields: dict[str, str]
    status: int
    body: dict = field(default_factory=dict)


def stripe_signature(payload: bytes, secret: str, timestamp: int) -> str:
    """The Stripe-Signature header: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<payload>")>."""
    signed = f"{timestamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def _nest(fields: dict[str, str]) -> dict:
    """Stripe's bracket notation to nested values: a[b][0][c]=1 → {"a": {"b": [{"c": "1"}]}}."""
    root: dict = {}
    for name, value in fields.items():
        head, _, rest = name.partition("[")
        parts = [head] + (rest[:-1].split("][") if rest else [])
        node = root
        for part in parts[:-1]:
            node = node.setdefault(part, {})
        node[parts[-1]] = value

    def listify(node):
        if not isinstance(node, dict):
            return node
        if node and all(key.isdigit() for key in node):
            return [listify(node[key]) for key in sorted(node, key=int)]
        return {key: listify(value) for key, value in node.items()}

    return listify(root)


def _integer(value, param: str) -> int:
    if not isinstance(value, str) or not _INTEGER.match(value):
        raise StripeFakeError(400, f"Invalid integer: {value}", code="parameter_invalid_integer", param=param)
    return int(value)


def _required(params: dict, name: str):
    if name not in params or params[name] == "":
        raise StripeFakeError(400, f"Missing required param: {name}.", code="parameter_missing", param=name)
    return params[name]


def _check_known(fields: dict[str, str], allowed: list[re.Pattern]) -> None:
    for name in fields:
        if not any(pattern.fullmatch(name) for pattern in allowed):
            raise StripeFakeError(
                400, f"Received unknown parameter: {name}", code="parameter_unknown", param=name
            )


def _new_id(prefix: str) -> str:
    return f"{prefix}_{secrets.token_hex(12)}"


class FakeStripe:
    """The fake's state and behaviour; `url` is what the provider's api_base should be."""

    def __init__(self, *, secret_key: str = TEST_SECRET_KEY):
        self.secret_key = secret_key
        self.sessions: dict[str, dict] = {}
        self.payment_intents: dict[str, dict] = {}
        self.refunds: dict[str, dict] = {}
        self.requests: list[RecordedRequest] = []
        self.refund_status = "succeeded"  # the status new refunds get (cards refund synchronously)
        self._idempotency: dict[str, _StoredAnswer] = {}
        self._faults: deque[_Fault] = deque()
        self._lock = threading.Lock()
        self._released = threading.Event()  # ends "hang" faults at stop()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeStripe:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        # A short poll interval: shutdown() waits for the loop to notice, once per test.
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-stripe", daemon=True)  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    @property
    def url(self) -> str:
        assert self._server is not None, "start() the fake first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # -- helpers for tests -------------------------------------------------------------------------

    def fail_next(self, times: int = 1, *, kind: str = "500", after_processing: bool = False) -> None:
        """The next `times` requests fail: "500" (Stripe's api_error), "drop" (the connection closes with
        no answer) or "hang" (no answer until the client's timeout). With after_processing the request takes
        effect first, as when the answer is lost on its way back; a retry with the same Idempotency-Key then
        gets the stored answer."""
        assert kind in ("500", "drop", "hang"), kind
        with self._lock:
            self._faults.extend(_Fault(kind, after_processing) for _ in range(times))

    def answer_next_with_error(self, status: int, message: str, *, type_: str, code=None, decline_code=None):
        """The next request gets this Stripe error instead of its answer, e.g. 402 card_error."""
        error = StripeFakeError(status, message, type_=type_, code=code, decline_code=decline_code)
        with self._lock:
            self._faults.append(_Fault("error", error=error))

    def pay(self, session_id: str, *, payment_status: str = "paid") -> dict:
        """The client completes the hosted page. payment_status "unpaid" is a delayed method (bank debit)
        whose outcome comes later."""
        with self._lock:
            session = self.sessions[session_id]
            assert session["status"] == "open", f"session is {session['status']}"
            intent_id = _new_id("pi")
            self.payment_intents[intent_id] = {
                "id": intent_id, "object": "payment_intent", "amount": session["amount_total"],
                "currency": session["currency"], "amount_refunded": 0,
                "metadata": dict(session["_payment_intent_metadata"]), "latest_charge": _new_id("ch"),
                "status": "succeeded" if payment_status == "paid" else "processing",
            }  # fmt: skip
            session.update(
                status="complete", payment_status=payment_status, payment_intent=intent_id, url=None
            )
            return self.public(session)

    def expire(self, session_id: str) -> dict:
        """Stripe expires the session by itself (expires_at passed)."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="expired", url=None)
            return self.public(session)

    def count(self, method: str | None = None, path: str | None = None) -> int:
        return len(self.requests_to(method, path))

    def requests_to(self, method: str | None = None, path: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.requests
            if (method is None or r.method == method) and (path is None or r.path == path)
        ]

    def event(self, event_type: str, data_object: dict, *, event_id: str | None = None,
              created: int | None = None) -> bytes:  # fmt: skip
        """A webhook body as Stripe sends it (a snapshot event)."""
        event = {
            "id": event_id or _new_id("evt"), "object": "event", "api_version": "2026-10-28.endive",
            "created": created or int(time.time()), "data": {"object": data_object}, "livemode": False,
            "pending_webhooks": 1, "request": {"id": None, "idempotency_key": None}, "type": event_type,
        }  # fmt: skip
        return json.dumps(event).encode()

    def signed_webhook(self, event_type: str, data_object: dict, *, secret: str, timestamp: int | None = None,
                       event_id: str | None = None) -> tuple[bytes, dict[str, str]]:  # fmt: skip
        """(body, headers) of a webhook signed with `secret`, as Stripe would deliver it."""
        timestamp = int(time.time()) if timestamp is None else timestamp
        body = self.event(event_type, data_object, event_id=event_id, created=timestamp)
        return body, {
            "Stripe-Signature": stripe_signature(body, secret, timestamp),
            "Content-Type": "application/json",
        }

    @staticmethod
    def public(stripe_object: dict) -> dict:
        """A copy without the fake's private bookkeeping (keys starting with "_")."""
        return {key: value for key, value in stripe_object.items() if not key.startswith("_")}

    # -- the API -----------------------------------------------------------------------------------

    def _take_fault(self) -> _Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def handle(self, request: RecordedRequest) -> tuple[int, dict, bool]:
        """(status, JSON body, replayed) for one request, with Stripe's checks in Stripe's order."""
        try:
            self._check_headers(request)
            if request.method != "POST":
                with self._lock:
                    return 200, self._route(request), False
            key = request.header("Idempotency-Key") or ""
            with self._lock:
                stored = self._idempotency.get(key)
                if stored is not None:
                    if (stored.method, stored.path, stored.fields) != (
                        request.method,
                        request.path,
                        request.fields,
                    ):
                        raise StripeFakeError(
                            400,
                            "Keys for idempotent requests can only be used with the same parameters they were first "
                            f"used with. Try using a key other than '{key}' if you meant to execute a different "
                            "request.",
                            type_="idempotency_error",
                        )
                    return stored.status, stored.body, True
                body = self._route(request)
                # Stripe saves the answer of every request that started executing; a request refused by
                # validation saves nothing. This fake saves successes only, which is what the provider relies on.
                self._idempotency[key] = _StoredAnswer(
                    request.method, request.path, dict(request.fields), 200, body
                )
                return 200, body, False
        except StripeFakeError as error:
            return error.status, error.body, False

    def _check_headers(self, request: RecordedRequest) -> None:
        authorization = request.header("Authorization") or ""
        if not authorization:
            raise StripeFakeError(
                401,
                "You did not provide an API key. You need to provide your API key in the Authorization header, "
                "using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').",
            )
        scheme, _, api_key = authorization.partition(" ")
        if scheme != "Bearer" or not api_key.startswith("sk_test_") or api_key != self.secret_key:
            raise StripeFakeError(401, f"Invalid API Key provided: {api_key[:8]}****{api_key[-4:]}")
        version = request.header("Stripe-Version")
        if not version:
            raise StripeFakeError(400, "This fake expects a Stripe-Version header on every request.")
        if not _API_VERSION.match(version):
            raise StripeFakeError(400, f"Invalid Stripe API version: {version}", code="api_version_invalid")
        if request.method == "POST":
            content_type = (request.header("Content-Type") or "").split(";")[0].strip()
            if content_type != "application/x-www-form-urlencoded":
                raise StripeFakeError(
                    400,
                    f"Invalid request: Content-Type {content_type or '(none)'} is not supported; "
                    "send application/x-www-form-urlencoded.",
                )
            if not request.header("Idempotency-Key"):
                raise StripeFakeError(
                    400, "This fake expects an Idempotency-Key header on every POST request."
                )

    def _route(self, request: RecordedRequest) -> dict:
        method, parts = request.method, request.path.strip("/").split("/")
        if method == "POST" and parts == ["v1", "checkout", "sessions"]:
            return self._session_create(request.fields)
        if method == "GET" and parts[:3] == ["v1", "checkout", "sessions"] and len(parts) == 4:
            return self.public(self._session(parts[3]))
        if method == "POST" and parts[:3] == ["v1", "checkout", "sessions"] and parts[4:] == ["expire"]:
            return self._session_expire(parts[3], request.fields)
        if method == "POST" and parts == ["v1", "refunds"]:
            return self._refund_create(request.fields)
        if method == "GET" and parts[:2] == ["v1", "refunds"] and len(parts) == 3:
            if parts[2] not in self.refunds:
                raise StripeFakeError(
                    404, f"No such refund: '{parts[2]}'", code="resource_missing", param="id"
                )
            return dict(self.refunds[parts[2]])
        raise StripeFakeError(404, f"Unrecognized request URL ({method}: {request.path}).")

    def _session(self, session_id: str) -> dict:
        if session_id not in self.sessions:
            raise StripeFakeError(404, f"No such checkout.session: '{session_id}'", code="resource_missing",
                                  param="id")  # fmt: skip
        return self.sessions[session_id]

    def _session_create(self, fields: dict[str, str]) -> dict:
        _check_known(fields, _SESSION_FIELDS)
        params = _nest(fields)
        if _required(params, "mode") != "payment":
            raise StripeFakeError(400, "This fake only knows mode=payment.", param="mode")
        _required(params, "success_url")
        items = _required(params, "line_items")
        if not isinstance(items, list) or len(items) == 0:
            raise StripeFakeError(400, "Invalid array", param="line_items")
        now = int(time.time())
        amount_total, currency = 0, None
        for index, item in enumerate(items):
            price = item.get("price_data")
            if price is None:
                raise StripeFakeError(400, f"Missing required param: line_items[{index}][price_data].",
                                      code="parameter_missing", param=f"line_items[{index}][price_data]")  # fmt: skip
            item_currency = _required(price, "currency")
            if not re.fullmatch(r"[a-z]{3}", item_currency):
                raise StripeFakeError(400, f"Invalid currency: {item_currency}. Use the lower-case ISO code.",
                                      param=f"line_items[{index}][price_data][currency]")  # fmt: skip
            if currency not in (None, item_currency):
                raise StripeFakeError(400, "All line items must use the same currency.", param="line_items")
            currency = item_currency
            unit_amount = _integer(
                _required(price, "unit_amount"), f"line_items[{index}][price_data][unit_amount]"
            )
            if unit_amount < 0:
                raise StripeFakeError(400, "This value must be greater than or equal to 0.",
                                      param=f"line_items[{index}][price_data][unit_amount]")  # fmt: skip
            product = _required(price, "product_data")
            _required(product, "name")
            quantity = _integer(_required(item, "quantity"), f"line_items[{index}][quantity]")
            amount_total += unit_amount * quantity
        expires_at = now + MAX_EXPIRY
        if "expires_at" in params:
            expires_at = _integer(params["expires_at"], "expires_at")
            if expires_at < now + MIN_EXPIRY:
                raise StripeFakeError(400, "The `expires_at` timestamp must be at least 30 minutes from Checkout "
                                      "Session creation.", param="expires_at")  # fmt: skip
            if expires_at > now + MAX_EXPIRY:
                raise StripeFakeError(400, "The `expires_at` timestamp must be less than 24 hours from Checkout "
                                      "Session creation.", param="expires_at")  # fmt: skip
        session_id = _new_id("cs_test")
        self.sessions[session_id] = {
            "id": session_id, "object": "checkout.session", "amount_subtotal": amount_total,
            "amount_total": amount_total, "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"), "created": now, "currency": currency,
            "expires_at": expires_at, "livemode": False, "metadata": params.get("metadata", {}), "mode": "payment",
            "payment_intent": None, "payment_status": "unpaid", "status": "open",
            "success_url": params["success_url"], "url": f"{CHECKOUT_BASE}/{session_id}",
            "_payment_intent_metadata": params.get("payment_intent_data", {}).get("metadata", {}),
        }  # fmt: skip
        return self.public(self.sessions[session_id])

    def _session_expire(self, session_id: str, fields: dict[str, str]) -> dict:
        _check_known(fields, [re.compile(r"expand\[\d+\]")])
        session = self._session(session_id)
        if session["status"] != "open":
            raise StripeFakeError(400, 'Only Checkout Sessions with a status in ["open"] can be expired.',
                                  param="session")  # fmt: skip
        session.update(status="expired", url=None)
        return self.public(session)

    def _refund_create(self, fields: dict[str, str]) -> dict:
        _check_known(fields, _REFUND_FIELDS)
        intent_id = _required(fields, "payment_intent")
        intent = self.payment_intents.get(intent_id)
        if intent is None:
            raise StripeFakeError(400, f"No such payment_intent: '{intent_id}'", code="resource_missing",
                                  param="payment_intent")  # fmt: skip
        remaining = intent["amount"] - intent["amount_refunded"]
        amount = _integer(fields["amount"], "amount") if "amount" in fields else remaining
        if remaining == 0:
            raise StripeFakeError(400, f"Charge {intent['latest_charge']} has already been refunded.",
                                  code="charge_already_refunded")  # fmt: skip
        if amount <= 0 or amount > remaining:
            raise StripeFakeError(400, f"Refund amount ({amount}) is greater than unrefunded amount on charge "
                                  f"({remaining})", code="amount_too_large", param="amount")  # fmt: skip
        if self.refund_status in ("succeeded", "pending"):
            intent["amount_refunded"] += amount
        refund_id = _new_id("re")
        self.refunds[refund_id] = {
            "id": refund_id, "object": "refund", "amount": amount, "charge": intent["latest_charge"],
            "created": int(time.time()), "currency": intent["currency"], "metadata": {},
            "payment_intent": intent_id, "reason": fields.get("reason"), "status": self.refund_status,
        }  # fmt: skip
        return dict(self.refunds[refund_id])


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeStripe/1"

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def do_DELETE(self):
        self._answer()

    def log_message(self, *args):  # tests read fake.requests, not a log
        pass

    def _answer(self) -> None:
        fake: FakeStripe = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        source = raw.decode("utf-8", "replace") if self.command == "POST" else url.query
        fields = dict(parse_qsl(source, keep_blank_values=True))
        request = RecordedRequest(self.command, url.path, dict(self.headers.items()), fields)
        with fake._lock:
            fake.requests.append(request)

        fault = fake._take_fault()
        if fault is not None and not fault.after_processing:
            if fault.kind == "error":
                assert fault.error is not None
                self._send(request, fault.error.status, fault.error.body)
            else:
                self._fail(request, fault)
            return
        status, body, replayed = fake.handle(request)
        request.replayed = replayed
        if fault is not None:
            self._fail(request, fault)
            return
        self._send(request, status, body, replayed=replayed)

    def _fail(self, request: RecordedRequest, fault: _Fault) -> None:
        fake: FakeStripe = self.server.fake  # type: ignore[attr-defined]
        if fault.kind == "hang":
            fake._released.wait(timeout=5)
        if fault.kind in ("drop", "hang"):
            self.close_connection = True
            return
        self._send(
            request, 500, {"error": {"type": "api_error", "message": "Something went wrong on Stripe's end."}}
        )

    def _send(self, request: RecordedRequest, status: int, body: dict, *, replayed: bool = False) -> None:
        payload = json.dumps(body).encode()
        request.status = status
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("Request-Id", _new_id("req"))
        self.send_header("Stripe-Version", request.header("Stripe-Version") or "")
        if replayed:
            self.send_header("Idempotent-Replayed", "true")
        self.end_headers()
        self.wfile.write(payload)


@pytest.fixture
def fake_stripe():
    fake = FakeStripe().start()
    yield fake
    fake.stop()
