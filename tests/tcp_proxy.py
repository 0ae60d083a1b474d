"""A cuttable TCP proxy: a database or broker outage, as a test makes it.

A process under test is pointed at ``127.0.0.1:<proxy.port>`` instead of the
service. :meth:`TcpProxy.cut` closes the listening socket and aborts every
open connection, like a service restart or a network cut (new connections
are refused at once); :meth:`TcpProxy.start` listens on the same port again.
"""
import asyncio
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Set


class TcpProxy:
    """A cuttable asyncio TCP proxy, run on its own thread and event loop."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._thread.start()
        self._server = None
        self._transports: Set[asyncio.Transport] = set()

    def _call(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(10)

    async def _pipe(self, reader, writer) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            writer.transport.abort()

    async def _handle(self, client_reader, client_writer) -> None:
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        self._transports |= {client_writer.transport, upstream_writer.transport}
        await asyncio.gather(
            self._pipe(client_reader, upstream_writer), self._pipe(upstream_reader, client_writer)
        )
        self._transports -= {client_writer.transport, upstream_writer.transport}

    async def _start(self) -> None:
        self._server = await asyncio.start_server(
            self._handle, "127.0.0.1", self.port, reuse_address=True
        )

    async def _cut(self) -> None:
        self._server.close()
        for transport in list(self._transports):
            transport.abort()
        self._transports.clear()

    def start(self) -> None:
        self._call(self._start())

    def cut(self) -> None:
        self._call(self._cut())

    async def _cancel_all(self) -> None:
        tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        self.cut()
        self._call(self._cancel_all())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)


class TcpProxyProcess:
    """A :class:`TcpProxy` in a process of its own, with the same ``port``, ``start``, ``cut`` and ``close``.

    For proxies carrying a whole topology's traffic while the test process
    runs many client threads: in the test process, the proxy would wait for
    the interpreter lock behind them, and every query through it with it.
    """

    def __init__(self, target_host: str, target_port: int) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.tcp_proxy", target_host, str(target_port)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
        )
        self.port = int(self._process.stdout.readline())

    def _command(self, command: str) -> None:
        self._process.stdin.write(command + "\n")
        self._process.stdin.flush()
        assert self._process.stdout.readline().strip() == "ok", f"proxy did not {command}"

    def start(self) -> None:
        self._command("start")

    def cut(self) -> None:
        self._command("cut")

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()  # the proxy closes itself at end of input
            self._process.wait(10)


def _serve(target_host: str, target_port: int) -> None:
    """The proxy process: prints its port, then obeys ``start`` and ``cut`` lines on stdin."""
    proxy = TcpProxy(target_host, target_port)
    print(proxy.port, flush=True)
    for line in sys.stdin:
        getattr(proxy, {"start": "start", "cut": "cut"}[line.strip()])()
        print("ok", flush=True)
    proxy.close()


if __name__ == "__main__":
    _serve(sys.argv[1], int(sys.argv[2]))
