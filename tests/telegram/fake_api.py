"""A fake Telegram Bot API server on 127.0.0.1 for the tests.

Runs aiohttp in a thread of its own. Implements what the channel calls
(sendMessage, sendPhoto, answerCallbackQuery, editMessageReplyMarkup,
getUpdates, deleteWebhook, setWebhook, getWebhookInfo, getMe), records every
call, and can be told to answer the next N calls with a 429 (flood control) or
a 502.
"""
import asyncio
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from aiohttp import web

BOT_USER = {"id": 4242, "is_bot": True, "first_name": "Sera", "username": "SerambiTestBot"}


@dataclass
class Call:
    token: str
    method: str
    params: Dict[str, Any]
    result: Any = None
    at: float = field(default_factory=time.monotonic)


def _decode(value: str) -> Any:
    """PTB sends JSON-encoded values for objects (reply_markup, allowed_updates)."""
    if value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


class FakeTelegram:
    """The fake server; ``base_url`` is what the channel's ``base_url`` should be."""

    def __init__(self) -> None:
        self.calls: List[Call] = []
        self.updates: List[Dict[str, Any]] = []
        self._failures: List[Dict[str, Any]] = []
        self._lock = threading.Lock()
        self._next_message_id = 1000
        self.files: Dict[str, bytes] = {}  # file_id -> content, for getFile and the download
        self._loop: Optional[asyncio.AbstractEventLoop] = None
        self._runner: Optional[web.AppRunner] = None
        self._thread: Optional[threading.Thread] = None
        self.port = 0

    # ---- control, from the test thread

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    def start(self) -> "FakeTelegram":
        ready = threading.Event()
        self._thread = threading.Thread(target=self._serve, args=(ready,), daemon=True)
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("fake Telegram did not start")
        return self

    def stop(self) -> None:
        if self._loop and self._runner:
            asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop).result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
        if self._thread:
            self._thread.join(10)

    def fail_next(self, count: int, status: int = 429, retry_after: int = 1) -> None:
        """Answer the next ``count`` calls (except getUpdates) with an error."""
        if status == 429:
            body = {
                "ok": False, "error_code": 429,
                "description": f"Too Many Requests: retry after {retry_after}",
                "parameters": {"retry_after": retry_after},
            }
        else:
            body = {"ok": False, "error_code": status, "description": "Bad Gateway"}
        with self._lock:
            self._failures.extend({"status": status, "body": body} for _ in range(count))

    def clear_failures(self) -> None:
        with self._lock:
            self._failures.clear()

    def queue_update(self, update: Dict[str, Any]) -> None:
        """Hand ``update`` to the next getUpdates call."""
        with self._lock:
            self.updates.append(update)

    def calls_to(self, method: str, chat_id: Optional[int] = None) -> List[Call]:
        with self._lock:
            return [
                c for c in self.calls
                if c.method == method and (chat_id is None or str(c.params.get("chat_id")) == str(chat_id))
            ]

    def texts_to(self, chat_id: int) -> List[str]:
        """Texts delivered to ``chat_id`` (attempts answered with an error left out)."""
        return [
            c.params.get("text", "") for c in self.calls_to("sendMessage", chat_id)
            if isinstance(c.result, dict) and "message_id" in c.result
        ]

    def wait_for(self, predicate: Callable[[], Any], timeout: float = 60, what: str = "") -> Any:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"fake Telegram: timed out waiting for {what or predicate}; calls: {self.summary()}")

    def summary(self) -> List[str]:
        with self._lock:
            return [f"{c.method}({c.params.get('chat_id', '')}): {str(c.params.get('text', ''))[:60]!r}" for c in self.calls]

    # ---- the server, in its thread

    async def _shutdown(self) -> None:
        current = asyncio.current_task()
        for task in asyncio.all_tasks():
            if task is not current:
                task.cancel()
        await self._runner.cleanup()

    def _serve(self, ready: threading.Event) -> None:
        self._loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self._loop)
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._handle)
        app.router.add_get("/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path}", self._download)
        self._runner = web.AppRunner(app, access_log=None)
        self._loop.run_until_complete(self._runner.setup())
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        self._loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        ready.set()
        self._loop.run_forever()

    async def _handle(self, request: web.Request) -> web.Response:
        token, method = request.match_info["token"], request.match_info["method"]
        form = await request.post() if request.can_read_body else {}
        params = {k: _decode(v) if isinstance(v, str) else v for k, v in form.items()}
        call = Call(token, method, params)
        with self._lock:
            self.calls.append(call)
            failure = self._failures.pop(0) if self._failures and method != "getUpdates" else None
        if failure:
            call.result = failure["body"]
            return web.json_response(failure["body"], status=failure["status"])
        if method == "getUpdates":
            call.result = await self._get_updates(params)
        else:
            call.result = self._result(method, params)
        return web.json_response({"ok": True, "result": call.result})

    def add_file(self, file_id: str, content: bytes) -> None:
        """A file a customer sent (a photo): served by getFile and the file download URL."""
        with self._lock:
            self.files[file_id] = content

    async def _download(self, request: web.Request) -> web.Response:
        with self._lock:
            self.calls.append(Call(request.match_info["token"], "downloadFile", {"path": request.match_info["path"]}))
            content = self.files.get(request.match_info["path"].split(".")[0])
        if content is None:
            return web.Response(status=404)
        return web.Response(body=content, content_type="application/octet-stream")

    async def _get_updates(self, params: Dict[str, Any]) -> List[Dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        deadline = time.monotonic() + min(float(params.get("timeout") or 0), 1.0)
        while True:
            with self._lock:
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                pending = list(self.updates)
            if pending or time.monotonic() >= deadline:
                return pending
            await asyncio.sleep(0.05)

    def _result(self, method: str, params: Dict[str, Any]) -> Any:
        if method == "getMe":
            return BOT_USER
        if method in ("sendMessage", "sendPhoto", "editMessageReplyMarkup"):
            with self._lock:
                self._next_message_id += 1
                message_id = int(params.get("message_id") or self._next_message_id)
            message = {
                "message_id": message_id,
                "date": int(time.time()),
                "chat": {"id": int(params["chat_id"]), "type": "private"},
                "from": BOT_USER,
            }
            if "text" in params:
                message["text"] = params["text"]
            if method == "sendPhoto":
                message["photo"] = [{"file_id": "f", "file_unique_id": "u", "width": 1, "height": 1}]
            if isinstance(params.get("reply_markup"), dict):
                message["reply_markup"] = params["reply_markup"]
            return message
        if method == "getFile":
            file_id = params["file_id"]
            with self._lock:
                size = len(self.files.get(file_id, b""))
            return {"file_id": file_id, "file_unique_id": f"u{file_id}", "file_size": size,
                    "file_path": f"{file_id}.jpg"}
        if method == "getWebhookInfo":
            return {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        return True  # answerCallbackQuery, deleteWebhook, setWebhook...


_UPDATE_IDS = itertools.count(500_001)
_MESSAGE_IDS = itertools.count(2)


class Updates:
    """Builds updates as Telegram sends them, each with an update_id new to the test run."""

    @staticmethod
    def _ids() -> tuple:
        return next(_UPDATE_IDS), next(_MESSAGE_IDS)

    @staticmethod
    def user(chat_id: int, language_code: str = "id") -> Dict[str, Any]:
        return {"id": chat_id, "is_bot": False, "first_name": "Budi", "username": f"budi{chat_id}",
                "language_code": language_code}

    def message(self, chat_id: int, text: Optional[str] = None, language_code: str = "id",
                **content: Any) -> Dict[str, Any]:
        update_id, message_id = self._ids()
        message = {
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Budi"},
            "from": self.user(chat_id, language_code),
            **content,
        }
        if text is not None:
            message["text"] = text
            if text.startswith("/"):
                message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return {"update_id": update_id, "message": message}

    def callback(self, chat_id: int, pressed_message: Dict[str, Any], data: str) -> Dict[str, Any]:
        """A press on a button of ``pressed_message`` (a message the bot sent)."""
        update_id, _ = self._ids()
        return {
            "update_id": update_id,
            "callback_query": {
                "id": f"cq{update_id}", "from": self.user(chat_id), "chat_instance": "ci",
                "message": pressed_message, "data": data,
            },
        }
