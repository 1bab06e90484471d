"""A local fake of the messaging providers the inbox's adapters call, over real HTTP on 127.0.0.1.

- Graph API (`/v21.0/…`): WhatsApp Cloud API messages, the Messenger/Instagram Send API, replies to
  Instagram mentions (`POST /{ig_user_id}/mentions`), and the mention look-up
  (`?fields=mentioned_comment.comment_id(…){…}`).
- Twilio (`/2010-04-01/Accounts/{sid}/Messages.json`).

Each request is recorded and checked the way the provider checks it — method, path, the auth
header (Bearer token per number/page, HTTP Basic sid:token), content type, the body's shape and
allowed keys — and answered in the provider's own success and error formats (Graph
`{"error": {"message", "type", "code", "fbtrace_id"}}`, Twilio `{"code", "message", "more_info",
"status"}`). Tests can inject faults: a 500, a dropped connection, a hang until the client's
timeout, before or after the request took effect. Neither the Graph API nor Twilio's Messages
API takes an idempotency key, so neither does this fake: a request sent twice is two messages. It
checks and records what comes back in the receipts instead (WhatsApp's `biz_opaque_callback_data`,
at most 512 characters; Messenger's `message.metadata`, at most 1,000; Twilio's StatusCallback
URL). Where it is simpler than the real thing: no 24-hour window is enforced at send time
(WhatsApp reports it later as a failed status), and template contents are not checked against
approved ones.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import secrets
import threading
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

GRAPH_VERSION = "v21.0"
E164 = re.compile(r"^\+[1-9]\d{6,14}$")
WA_ID = re.compile(r"^[1-9]\d{6,14}$")
HUB_TAGS = ("HUMAN_AGENT", "CONFIRMED_EVENT_UPDATE", "POST_PURCHASE_UPDATE", "ACCOUNT_UPDATE")
_MENTION_FIELDS = re.compile(r"^mentioned_(comment|media)\.(comment_id|media_id)\(([\w.-]+)\)\{(.+)\}$")


class ProviderError(Exception):
    def __init__(self, status: int, body: dict):
        super().__init__(json.dumps(body))
        self.status = status
        self.body = body


def graph_error(status: int, message: str, code: int, *, type_: str = "OAuthException", subcode=None):
    body = {"error": {"message": message, "type": type_, "code": code, "fbtrace_id": secrets.token_urlsafe(8)}}
    if subcode is not None:
        body["error"]["error_subcode"] = subcode
    return ProviderError(status, body)


def twilio_error(status: int, code: int, message: str):
    return ProviderError(status, {"code": code, "message": message,
                                  "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status})  # fmt: skip


def hub_signature(secret: str, body: bytes) -> str:
    """The X-Hub-Signature-256 header Meta sends."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


@dataclass
class RecordedRequest:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw: bytes
    status: int = 0  # what the fake answered; 0 when the connection was dropped

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers.items() if key.lower() == name.lower()), None)

    def json(self):
        return json.loads(self.raw)

    def form(self) -> list[tuple[str, str]]:
        return parse_qsl(self.raw.decode(), keep_blank_values=True)


@dataclass
class _Fault:
    kind: str  # "500" | "drop" | "hang" | "error"
    after_processing: bool = False
    error: ProviderError | None = None


@dataclass
class FakeProviders:
    whatsapp_numbers: dict[str, str] = field(default_factory=dict)  # phone_number_id → access token
    pages: dict[str, str] = field(default_factory=dict)  # page id → page access token
    instagram_accounts: dict[str, str] = field(default_factory=dict)  # ig user id → token
    twilio_accounts: dict[str, str] = field(default_factory=dict)  # account sid → auth token
    comments: dict[str, dict] = field(default_factory=dict)  # comment id → {text, username, …, _owner}
    captions: dict[str, dict] = field(default_factory=dict)  # media id → {caption, username, …, _owner}
    whatsapp_media: dict[str, tuple[bytes, str, str]] = field(default_factory=dict)  # id → (bytes, mime, token)
    cdn_files: dict[str, bytes] = field(default_factory=dict)  # Messenger/Instagram attachment files by name
    sent: list[dict] = field(default_factory=list)  # every message the provider accepted, in order
    requests: list[RecordedRequest] = field(default_factory=list)

    def __post_init__(self):
        self._lock = threading.Lock()
        self._faults: deque[_Fault] = deque()
        self._released = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------------------

    def start(self) -> FakeProviders:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.fake = self  # type: ignore[attr-defined]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        name="fake-providers", daemon=True)  # fmt: skip
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
        """The next `times` requests fail: "500" (the provider's internal error), "drop" (the connection
        closes with no answer) or "hang" (no answer until the client gives up). With after_processing the
        request takes effect first (the message is sent) and only the answer is lost."""
        assert kind in ("500", "drop", "hang"), kind
        with self._lock:
            self._faults.extend(_Fault(kind, after_processing) for _ in range(times))

    def answer_next_with(self, error: ProviderError) -> None:
        """The next request gets this error answer (graph_error / twilio_error) and has no effect."""
        with self._lock:
            self._faults.append(_Fault("error", error=error))

    def sent_by(self, provider: str) -> list[dict]:
        return [m for m in self.sent if m["provider"] == provider]

    # -- the APIs ----------------------------------------------------------------------------------

    def handle(self, request: RecordedRequest) -> tuple[int, dict]:
        try:
            with self._lock:
                return self._route(request)
        except ProviderError as error:
            return error.status, error.body

    def _route(self, request: RecordedRequest) -> tuple[int, dict]:
        parts = request.path.strip("/").split("/")
        if parts[:1] == ["2010-04-01"]:
            if request.method == "POST" and len(parts) == 4 and parts[1] == "Accounts" and parts[3] == "Messages.json":
                return self._twilio_message(request, parts[2])
            if request.method == "GET" and len(parts) == 7 and parts[1] == "Accounts" and parts[3] == "Messages" \
                    and parts[5] == "Media":  # fmt: skip
                return self._twilio_media(request, parts[2], parts[6])
            raise twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        if request.method == "GET" and len(parts) == 2 and parts[0] == "whatsapp-media" and parts[1] in self.whatsapp_media:
            data, mime, token = self.whatsapp_media[parts[1]]
            self._bearer(request, token)  # the media URL needs the token too (lookaside.fbsbx.com)
            return 200, (data, mime)
        if request.method == "GET" and len(parts) == 2 and parts[0] == "cdn":
            if parts[1] not in self.cdn_files:
                return 404, (b"Not Found", "text/plain")
            return 200, (self.cdn_files[parts[1]], "application/octet-stream")
        if parts[:1] != [GRAPH_VERSION]:
            raise graph_error(400, "Unknown path components: " + request.path, 2500)
        if request.method == "GET" and len(parts) == 2 and parts[1] in self.whatsapp_media:
            data, mime, token = self.whatsapp_media[parts[1]]
            self._bearer(request, token)
            return 200, {"messaging_product": "whatsapp", "url": f"{self.url}/whatsapp-media/{parts[1]}",
                         "mime_type": mime, "sha256": hashlib.sha256(data).hexdigest(), "file_size": len(data),
                         "id": parts[1]}  # fmt: skip
        if request.method == "POST" and len(parts) == 3 and parts[2] == "messages":
            if parts[1] in self.whatsapp_numbers:
                return 200, self._whatsapp_message(request, parts[1])
            if parts[1] in self.pages:
                return 200, self._page_message(request, parts[1])
        if request.method == "POST" and len(parts) == 3 and parts[2] == "mentions" and parts[1] in self.instagram_accounts:
            return 200, self._mention_reply(request, parts[1])
        if request.method == "GET" and len(parts) == 2 and parts[1] in self.instagram_accounts:
            return 200, self._mention_lookup(request, parts[1])
        raise graph_error(400, f"Unsupported {request.method.lower()} request. Object with ID '{parts[1:2]}' does "
                          "not exist, cannot be loaded due to missing permissions, or does not support this "
                          "operation.", 100, type_="GraphMethodException", subcode=33)  # fmt: skip

    def _bearer(self, request: RecordedRequest, token: str) -> None:
        given = request.header("Authorization") or ""
        if not given.startswith("Bearer ") or given.removeprefix("Bearer ") != token:
            raise graph_error(401, "Invalid OAuth access token - Cannot parse access token", 190)

    def _graph_json(self, request: RecordedRequest, allowed: set[str]) -> dict:
        if (request.header("Content-Type") or "").split(";")[0].strip() != "application/json":
            raise graph_error(400, "(#100) Param body must be JSON (Content-Type: application/json)", 100)
        try:
            body = request.json()
        except ValueError:
            raise graph_error(400, "(#100) The body is not valid JSON", 100)
        if not isinstance(body, dict):
            raise graph_error(400, "(#100) The body must be an object", 100)
        unknown = set(body) - allowed
        if unknown:
            raise graph_error(400, f"(#100) Param {sorted(unknown)[0]} is not a valid parameter", 100)
        return body

    def _whatsapp_message(self, request: RecordedRequest, number_id: str) -> dict:
        self._bearer(request, self.whatsapp_numbers[number_id])
        body = self._graph_json(request, {"messaging_product", "recipient_type", "to", "type", "text", "template",
                                          "image", "video", "context", "biz_opaque_callback_data"})  # fmt: skip
        if body.get("messaging_product") != "whatsapp":
            raise graph_error(400, "(#100) The parameter messaging_product is required.", 100)
        if body.get("recipient_type", "individual") != "individual":
            raise graph_error(400, "(#100) Param recipient_type must be one of {individual, group}", 100)
        to = body.get("to")
        if not isinstance(to, str) or not WA_ID.match(to):
            raise graph_error(400, "(#100) Invalid parameter: to must be the number in international format "
                              "without +", 100)  # fmt: skip
        kind = body.get("type", "text")
        callback_data = body.get("biz_opaque_callback_data")
        if callback_data is not None and (not isinstance(callback_data, str) or len(callback_data) > 512):
            raise graph_error(400, "(#100) Param biz_opaque_callback_data must be a string of at most 512 characters",
                              100)  # fmt: skip
        record = {"provider": "whatsapp", "number_id": number_id, "to": to, "type": kind,
                  "biz_opaque_callback_data": callback_data}  # fmt: skip
        if kind == "text":
            text = body.get("text")
            if not isinstance(text, dict) or set(text) - {"body", "preview_url"}:
                raise graph_error(400, "(#100) Param text must be {body, preview_url}", 100)
            if not isinstance(text.get("body"), str) or not 1 <= len(text["body"]) <= 4096:
                raise graph_error(400, "(#100) Param text['body'] must be 1 to 4096 characters", 100)
            record["body"] = text["body"]
        elif kind == "template":
            record["template"] = self._check_template(body.get("template"))
        elif kind in ("image", "video"):
            media = body.get(kind)
            if not isinstance(media, dict) or set(media) - {"link", "id", "caption"} or ("link" in media) == ("id" in media):
                raise graph_error(400, f"(#100) Param {kind} must have one of link or id, and an optional caption", 100)
            link = media.get("link")
            if link is not None and (not isinstance(link, str) or not re.match(r"https?://[^/\s]+/\S*$", link)):
                raise graph_error(400, f"(#100) Param {kind}['link'] must be a valid URL", 100)
            caption = media.get("caption", "")
            if not isinstance(caption, str) or len(caption) > 1024:
                raise graph_error(400, f"(#100) Param {kind}['caption'] must be at most 1024 characters", 100)
            record.update({"link": link, "caption": caption})
        else:
            raise graph_error(400, f"(#100) This fake knows type text, template, image and video, not {kind}", 100)
        wamid = "wamid." + secrets.token_urlsafe(24)
        record["id"] = wamid
        self.sent.append(record)
        answer = {"messaging_product": "whatsapp", "contacts": [{"input": to, "wa_id": to}],
                  "messages": [{"id": wamid}]}  # fmt: skip
        if kind == "template":
            answer["messages"][0]["message_status"] = "accepted"
        return answer

    @staticmethod
    def _check_template(template) -> dict:
        if not isinstance(template, dict) or set(template) - {"name", "language", "components"}:
            raise graph_error(400, "(#100) Param template must be {name, language, components}", 100)
        if not isinstance(template.get("name"), str) or not template["name"]:
            raise graph_error(400, "(#100) The parameter template['name'] is required.", 100)
        language = template.get("language")
        if not isinstance(language, dict) or not isinstance(language.get("code"), str) or set(language) - {
            "code", "policy"
        }:
            raise graph_error(400, "(#100) The parameter template['language']['code'] is required.", 100)
        variables = []
        for component in template.get("components", []):
            if not isinstance(component, dict) or component.get("type") not in ("header", "body", "button"):
                raise graph_error(400, "(#100) A template component has a type header, body or button", 100)
            for parameter in component.get("parameters", []):
                if parameter.get("type") != "text" or not isinstance(parameter.get("text"), str):
                    raise graph_error(400, "(#100) A text parameter is {type: text, text}", 100)
                variables.append(parameter["text"])
        return {"name": template["name"], "language": language["code"], "variables": variables}

    def _page_message(self, request: RecordedRequest, page_id: str) -> dict:
        self._bearer(request, self.pages[page_id])
        body = self._graph_json(request, {"recipient", "messaging_type", "message", "tag", "notification_type"})
        recipient = body.get("recipient")
        if not isinstance(recipient, dict) or not isinstance(recipient.get("id"), str) or not recipient["id"]:
            raise graph_error(400, "(#100) The parameter recipient is required", 100)
        messaging_type = body.get("messaging_type")
        if messaging_type not in ("RESPONSE", "UPDATE", "MESSAGE_TAG"):
            raise graph_error(400, "(#100) Param messaging_type must be one of {RESPONSE, UPDATE, MESSAGE_TAG}", 100)
        if (messaging_type == "MESSAGE_TAG") != ("tag" in body) or ("tag" in body and body["tag"] not in HUB_TAGS):
            raise graph_error(400, "(#100) A tag is sent with messaging_type MESSAGE_TAG, and only then", 100)
        message = body.get("message")
        record = {"provider": "meta", "page_id": page_id, "to": recipient["id"], "messaging_type": messaging_type,
                  "tag": body.get("tag")}  # fmt: skip
        if isinstance(message, dict) and "metadata" in message:
            message = dict(message)
            metadata = message.pop("metadata")
            if not isinstance(metadata, str) or not 1 <= len(metadata) <= 1000:
                raise graph_error(400, "(#100) Param message[metadata] must be a string of at most 1000 characters",
                                  100)  # fmt: skip
            record["metadata"] = metadata
        if isinstance(message, dict) and set(message) == {"attachment"}:
            attachment = message["attachment"]
            if not isinstance(attachment, dict) or attachment.get("type") not in ("image", "video", "audio", "file") \
                    or not isinstance(attachment.get("payload"), dict) \
                    or not re.match(r"https?://[^/\s]+/\S*$", str(attachment["payload"].get("url", ""))) \
                    or set(attachment["payload"]) - {"url", "is_reusable"}:  # fmt: skip
                raise graph_error(400, "(#100) Param message[attachment] must be {type, payload: {url, is_reusable}}",
                                  100)  # fmt: skip
            record.update(body="", attachment={"type": attachment["type"], "url": attachment["payload"]["url"]})
        else:
            if not isinstance(message, dict) or not isinstance(message.get("text"), str) or set(message) - {"text"}:
                raise graph_error(400, "(#100) Param message must be {text} or {attachment}", 100)
            if not 1 <= len(message["text"]) <= 2000:
                raise graph_error(400, "(#100) Length of param message[text] must be less than or equal to 2000", 100)
            record["body"] = message["text"]
        mid = "m_" + secrets.token_urlsafe(24)
        record["id"] = mid
        self.sent.append(record)
        return {"recipient_id": recipient["id"], "message_id": mid}

    def _mention_reply(self, request: RecordedRequest, ig_user_id: str) -> dict:
        """The Mentions API: a comment on the post (media_id) that mentions the account in its
        caption, or under the comment (comment_id on that media) that mentions it."""
        self._bearer(request, self.instagram_accounts[ig_user_id])
        body = self._graph_json(request, {"media_id", "comment_id", "message"})
        if not isinstance(body.get("message"), str) or not body["message"]:
            raise graph_error(400, "(#100) The parameter message is required", 100)
        media_id, comment_id = body.get("media_id"), body.get("comment_id")
        if not isinstance(media_id, str) or not media_id:
            raise graph_error(400, "(#100) The parameter media_id is required", 100)
        if comment_id is not None:
            comment = self.comments.get(comment_id) if isinstance(comment_id, str) else None
            if comment is None or comment["_owner"] != ig_user_id or comment.get("media", {}).get("id") != media_id:
                raise graph_error(400, f"(#100) Invalid comment_id {comment_id} for media {media_id}", 100)
        elif self.captions.get(media_id, {}).get("_owner") != ig_user_id:
            raise graph_error(400, f"(#100) The account is not mentioned in the caption of media {media_id}", 100)
        reply_id = str(secrets.randbelow(10**17))
        self.sent.append({"provider": "instagram_mention_reply", "media_id": media_id, "comment_id": comment_id,
                          "body": body["message"], "id": reply_id})  # fmt: skip
        return {"id": reply_id}

    def _mention_lookup(self, request: RecordedRequest, ig_user_id: str) -> dict:
        self._bearer(request, self.instagram_accounts[ig_user_id])
        match = _MENTION_FIELDS.match(request.query.get("fields", ""))
        if match is None:
            raise graph_error(400, "(#100) Tried accessing nonexisting field", 100)
        what, key, object_id, wanted = match.groups()
        if (what, key) not in (("comment", "comment_id"), ("media", "media_id")):
            raise graph_error(400, "(#100) mentioned_comment takes comment_id, mentioned_media media_id", 100)
        store = self.comments if what == "comment" else self.captions
        found = store.get(object_id)
        if found is None or found["_owner"] != ig_user_id:
            raise graph_error(400, f"(#100) Invalid {key} {object_id}", 100)
        fields = re.findall(r"(\w+)(\{[^}]*\})?", wanted)
        answer = {}
        for name, nested in fields:
            if name not in found:
                continue
            value = found[name]
            if nested and isinstance(value, dict):
                value = {k: v for k, v in value.items() if k in nested.strip("{}").split(",")}
            answer[name] = value
        return {f"mentioned_{what}": answer, "id": ig_user_id}

    def _twilio_basic(self, request: RecordedRequest, sid: str) -> None:
        authorization = request.header("Authorization") or ""
        try:
            user, _, token = base64.b64decode(authorization.removeprefix("Basic ")).decode().partition(":")
        except (ValueError, UnicodeDecodeError):
            user, token = "", ""
        if (not authorization.startswith("Basic ") or user != sid or sid not in self.twilio_accounts
                or token != self.twilio_accounts[sid]):  # fmt: skip
            raise twilio_error(401, 20003, "Authenticate")

    def _twilio_media(self, request: RecordedRequest, sid: str, media_sid: str) -> tuple[int, tuple]:
        """Twilio answers a media URL with a redirect to its storage (another host: here `localhost`
        for the same server), which serves the file without Twilio's credentials."""
        self._twilio_basic(request, sid)
        if media_sid not in self.cdn_files:
            raise twilio_error(404, 20404, f"The requested resource {request.path} was not found")
        port = self.url.rsplit(":", 1)[1]
        return 307, (b"", "text/plain", {"Location": f"http://localhost:{port}/cdn/{media_sid}"})

    def _twilio_message(self, request: RecordedRequest, sid: str) -> tuple[int, dict]:
        self._twilio_basic(request, sid)
        if (request.header("Content-Type") or "").split(";")[0].strip() != "application/x-www-form-urlencoded":
            raise twilio_error(400, 20001, "Content-Type must be application/x-www-form-urlencoded")
        form = request.form()
        fields: dict[str, list[str]] = {}
        for name, value in form:
            fields.setdefault(name, []).append(value)
        allowed = {"To", "From", "MessagingServiceSid", "Body", "MediaUrl", "StatusCallback", "ContentSid",
                   "ContentVariables"}  # fmt: skip
        unknown = set(fields) - allowed
        if unknown:
            raise twilio_error(400, 20001, f"Unknown parameter {sorted(unknown)[0]}")
        one = {name: values[0] for name, values in fields.items() if name != "MediaUrl"}
        to = one.get("To", "")
        if not to:
            raise twilio_error(400, 21604, "A 'To' phone number is required.")
        sender = one.get("From", "")
        if not sender and not one.get("MessagingServiceSid"):
            raise twilio_error(400, 21603, "A 'From' phone number is required.")
        whatsapp = to.startswith("whatsapp:")
        if not E164.match(to.removeprefix("whatsapp:")):
            raise twilio_error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if sender and (sender.startswith("whatsapp:") != whatsapp or not E164.match(sender.removeprefix("whatsapp:"))):
            raise twilio_error(400, 63007, "Twilio could not find a Channel with the specified From address")
        if not one.get("Body") and not one.get("ContentSid") and not fields.get("MediaUrl"):
            raise twilio_error(400, 21602, "Message body is required.")
        if len(one.get("Body", "")) > 1600:
            raise twilio_error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if "ContentVariables" in one:
            try:
                variables = json.loads(one["ContentVariables"])
            except ValueError:
                variables = None
            if not isinstance(variables, dict):
                raise twilio_error(400, 21656, "The ContentVariables Parameter is invalid.")
        callback = one.get("StatusCallback", "")
        if callback and not re.match(r"^https?://", callback):
            raise twilio_error(400, 21609, f"Invalid StatusCallback url: {callback}")
        message_sid = "SM" + secrets.token_hex(16)
        answer = {
            "sid": message_sid, "account_sid": sid, "to": to, "from": sender or None,
            "messaging_service_sid": one.get("MessagingServiceSid"), "body": one.get("Body", ""),
            "status": "queued", "num_media": str(len(fields.get("MediaUrl", []))), "direction": "outbound-api",
            "api_version": "2010-04-01", "error_code": None, "error_message": None,
            "uri": f"/2010-04-01/Accounts/{sid}/Messages/{message_sid}.json",
        }  # fmt: skip
        self.sent.append({"provider": "twilio", "id": message_sid, "to": to, "from": sender,
                          "body": one.get("Body", ""), "content_sid": one.get("ContentSid"),
                          "content_variables": one.get("ContentVariables"), "media": fields.get("MediaUrl", []),
                          "status_callback": callback})  # fmt: skip
        return 201, answer


class _Handler(BaseHTTPRequestHandler):
    server_version = "FakeProviders/1"
    disable_nagle_algorithm = True  # headers and body are separate writes: no 40 ms delayed-ACK stall

    def do_GET(self):
        self._answer()

    def do_POST(self):
        self._answer()

    def log_message(self, *args):
        pass

    def _answer(self) -> None:
        fake: FakeProviders = self.server.fake  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        url = urlsplit(self.path)
        request = RecordedRequest(self.command, url.path, dict(parse_qsl(url.query, keep_blank_values=True)),
                                  dict(self.headers.items()), raw)  # fmt: skip
        with fake._lock:
            fake.requests.append(request)
            fault = fake._faults.popleft() if fake._faults else None
        if fault is not None and fault.kind == "error":
            assert fault.error is not None
            self._send(request, fault.error.status, fault.error.body)
            return
        if fault is not None and not fault.after_processing:
            self._fail(request, fault)
            return
        status, body = fake.handle(request)
        if fault is not None:
            self._fail(request, fault)
            return
        self._send(request, status, body)

    def _fail(self, request: RecordedRequest, fault: _Fault) -> None:
        fake: FakeProviders = self.server.fake  # type: ignore[attr-defined]
        if fault.kind == "hang":
            fake._released.wait(timeout=5)
        if fault.kind in ("drop", "hang"):
            self.close_connection = True
            return
        if request.path.startswith("/2010-04-01"):
            body = {"code": 20500, "message": "An internal server error has occurred",
                    "more_info": "https://www.twilio.com/docs/errors/20500", "status": 500}  # fmt: skip
        else:
            body = {"error": {"message": "An unknown error has occurred.", "type": "OAuthException", "code": 1,
                              "fbtrace_id": secrets.token_urlsafe(8)}}  # fmt: skip
        self._send(request, 500, body)

    def _send(self, request: RecordedRequest, status: int, body: dict | tuple) -> None:
        """A JSON answer, or (bytes, content type[, headers])."""
        if isinstance(body, tuple):
            payload, content_type, *more = body
            extra = more[0] if more else {}
        else:
            payload, content_type, extra = json.dumps(body).encode(), "application/json", {}
        request.status = status
        self.send_response(status)
        for name, value in extra.items():
            self.send_header(name, value)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)


def providers_running(settings):
    """A started fake with the settings pointing at it (a fixture body: `yield from`)."""
    fake = FakeProviders().start()
    settings.WHATSAPP_GRAPH_BASE = fake.url
    settings.META_GRAPH_BASE = fake.url
    settings.TWILIO_API_BASE = fake.url
    settings.GRAPH_API_VERSION = GRAPH_VERSION
    settings.INBOX_PROVIDER_TIMEOUT = 1.5
    try:
        yield fake
    finally:
        fake.stop()


# --- IMAP ------------------------------------------------------------------------------------------


@dataclass
class ImapMessage:
    uid: int
    raw: bytes
    flags: set[str] = field(default_factory=set)


class FakeImap:
    """A small IMAP4rev1 server on 127.0.0.1 (plain text, one mailbox INBOX) for the commands the
    poller uses: CAPABILITY, LOGIN, SELECT, UID SEARCH UNSEEN, UID FETCH (BODY.PEEK[]), UID STORE
    +FLAGS (\\Seen), LOGOUT — answered the way RFC 3501 says, so the standard library's imaplib
    talks to it unchanged. LOGIN is checked; BODY.PEEK does not set \\Seen, STORE does."""

    def __init__(self, *, user: str, password: str):
        self.user, self.password = user, password
        self.messages: list[ImapMessage] = []
        self.commands: list[str] = []  # every command line received (passwords included: test data)
        self._server = None
        self._thread = None

    def deliver(self, raw: bytes) -> ImapMessage:
        message = ImapMessage(uid=len(self.messages) + 1, raw=raw)
        self.messages.append(message)
        return message

    def start(self) -> FakeImap:
        import socketserver

        fake = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self):
                _ImapSession(fake, self.rfile, self.wfile).run()

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02},
                                        daemon=True, name="fake-imap")  # fmt: skip
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    @property
    def port(self) -> int:
        return self._server.server_address[1]


class _ImapSession:
    def __init__(self, fake: FakeImap, rfile, wfile):
        self.fake, self.rfile, self.wfile = fake, rfile, wfile
        self.authenticated = self.selected = False

    def send(self, line: str | bytes) -> None:
        self.wfile.write((line.encode() if isinstance(line, str) else line) + b"\r\n")

    def run(self) -> None:
        self.send("* OK [CAPABILITY IMAP4rev1] fake IMAP ready")
        while True:
            line = self.rfile.readline()
            if not line:
                return
            text = line.decode("utf-8", "replace").rstrip("\r\n")
            self.fake.commands.append(text)
            tag, _, rest = text.partition(" ")
            command, _, args = rest.partition(" ")
            if not self.command(tag, command.upper(), args):
                return

    def command(self, tag: str, command: str, args: str) -> bool:
        if command == "CAPABILITY":
            self.send("* CAPABILITY IMAP4rev1")
            self.send(f"{tag} OK CAPABILITY completed")
        elif command == "LOGIN":
            user, _, password = args.partition(" ")
            password = password[1:-1].replace('\\"', '"').replace("\\\\", "\\") if password.startswith('"') else password
            if (user.strip('"'), password) != (self.fake.user, self.fake.password):
                self.send(f"{tag} NO [AUTHENTICATIONFAILED] Invalid credentials")
            else:
                self.authenticated = True
                self.send(f"{tag} OK LOGIN completed")
        elif command == "LOGOUT":
            self.send("* BYE logging out")
            self.send(f"{tag} OK LOGOUT completed")
            return False
        elif not self.authenticated:
            self.send(f"{tag} BAD not authenticated")
        elif command == "SELECT":
            if args.strip('"').upper() != "INBOX":
                self.send(f"{tag} NO [NONEXISTENT] no such mailbox")
            else:
                self.selected = True
                self.send(f"* {len(self.fake.messages)} EXISTS")
                self.send("* FLAGS (\\Seen \\Answered \\Flagged \\Deleted \\Draft)")
                self.send(f"{tag} OK [READ-WRITE] SELECT completed")
        elif command == "UID" and self.selected:
            self.uid_command(tag, args)
        else:
            self.send(f"{tag} BAD unknown or out-of-state command")
        return True

    def uid_command(self, tag: str, args: str) -> None:
        verb, _, rest = args.partition(" ")
        verb = verb.upper()
        by_uid = {m.uid: m for m in self.fake.messages}
        if verb == "SEARCH" and rest.upper() == "UNSEEN":
            unseen = " ".join(str(m.uid) for m in self.fake.messages if "\\Seen" not in m.flags)
            self.send(f"* SEARCH {unseen}".rstrip())
            self.send(f"{tag} OK SEARCH completed")
        elif verb == "FETCH" and rest.endswith("(BODY.PEEK[])"):
            uid = int(rest.split(" ", 1)[0])
            message = by_uid.get(uid)
            if message is not None:
                sequence = self.fake.messages.index(message) + 1
                self.wfile.write(f"* {sequence} FETCH (UID {uid} BODY[] {{{len(message.raw)}}}\r\n".encode())
                self.wfile.write(message.raw)
                self.send(")")
            self.send(f"{tag} OK FETCH completed")
        elif verb == "STORE" and rest.endswith("+FLAGS (\\Seen)"):
            uid = int(rest.split(" ", 1)[0])
            if uid in by_uid:
                by_uid[uid].flags.add("\\Seen")
                sequence = self.fake.messages.index(by_uid[uid]) + 1
                self.send(f"* {sequence} FETCH (UID {uid} FLAGS (\\Seen))")
            self.send(f"{tag} OK STORE completed")
        else:
            self.send(f"{tag} BAD this fake knows UID SEARCH UNSEEN, FETCH (BODY.PEEK[]) and STORE +FLAGS (\\Seen)")
