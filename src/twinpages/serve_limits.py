"""The limits a public HTTP service needs on its connections, which uvicorn does not set itself.

uvicorn's h11 protocol waits for a request's line and headers as long as a client likes, and its
``limit_concurrency`` counts open connections: 64 sockets that each sent half a request line, or 100
that add a header every 8 s, made `/health` answer 503 for as long as they stayed. ``GuardedH11``
is that protocol with three limits (ServeConfig):

- a request's line and headers must arrive within ``header_seconds`` of the connection (of its first
  byte, on a kept-alive connection), its body within ``body_seconds`` of its headers: else 408 and the
  connection closes. The application's own time (a query) is not counted: query.py bounds that;
- at most ``max_connections`` are open: a new connection closes the one that has been idle longest
  (waiting for a request, or kept alive after one), so idle sockets never keep a request out; only when
  every connection is busy with a request is the new one told 503;
- headers are bounded in size (h11's ``max_incomplete_event_size``, set by ``uvicorn_config``).
"""

from __future__ import annotations

import time

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

TIMEOUT_BODY = (b'{"error": "timeout", "message": "the request did not arrive in time; send it whole, without '
                b'pausing"}')
BUSY_BODY = b'{"error": "busy", "message": "every connection is busy with a request; try again shortly"}'


def _raw_response(status: str, body: bytes) -> bytes:
    return (f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n").encode() + body


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with the limits above; ``limits`` (a ServeConfig) is set on a subclass made
    by ``guarded_protocol``."""

    limits = None

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self._timer = None
        self._phase = "headers"  # headers | body | app (the request is complete: the application's time)
        self._since = time.monotonic()
        self._arm("headers")
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    def connection_lost(self, exc) -> None:
        self._cancel()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._phase == "app" and self._idle():  # a kept-alive connection's next request begins
            self._arm("headers")
        super().data_received(data)
        their = self.conn.their_state
        if their is h11.SEND_BODY and self._phase == "headers":
            self._arm("body")
        elif their in (h11.DONE, h11.MUST_CLOSE, h11.CLOSED) and self._phase in ("headers", "body"):
            self._arm("app")

    def on_response_complete(self) -> None:
        self._arm("app")
        self._since = time.monotonic()
        super().on_response_complete()  # uvicorn's keep-alive timer now closes the connection if it idles

    # --- the limits ---------------------------------------------------------------------------------------

    def _arm(self, phase: str) -> None:
        self._cancel()
        self._phase = phase
        seconds = {"headers": self.limits.header_seconds, "body": self.limits.body_seconds}.get(phase)
        if seconds:
            self._timer = self.loop.call_later(seconds, self._expired)

    def _cancel(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expired(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self.cycle is None or not self.cycle.response_started:
            self.transport.write(_raw_response("408 Request Timeout", TIMEOUT_BODY))
        self.transport.close()

    def _idle(self) -> bool:
        """No request of this connection is being received or answered."""
        return self._phase == "headers" and self.conn.their_state is h11.IDLE or (
            self._phase == "app" and (self.cycle is None or self.cycle.response_complete))

    def _make_room(self) -> None:
        """Close the connection idle longest; if every other one is busy with a request, refuse this one."""
        idle = [c for c in self.connections if c is not self and isinstance(c, GuardedH11) and c._idle()]
        if idle:
            oldest = min(idle, key=lambda c: c._since)
            oldest._cancel()
            if oldest._phase == "headers" and oldest.conn.their_state is h11.IDLE:
                oldest.transport.write(_raw_response("408 Request Timeout", TIMEOUT_BODY))
            oldest.transport.close()
            return
        self._cancel()
        self.transport.write(_raw_response("503 Service Unavailable", BUSY_BODY))
        self.transport.close()


def guarded_protocol(limits) -> type[GuardedH11]:
    """The protocol class for one server's limits (uvicorn makes an instance per connection)."""
    return type("GuardedH11", (GuardedH11,), {"limits": limits})
