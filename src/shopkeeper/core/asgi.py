"""The ASGI entry point: Django's ASGI handler with each request's synchronous part in one thread hop.

Django's own `ASGIHandler` runs the middleware chain in async mode: every middleware built on
`MiddlewareMixin` moves its `process_request` and `process_response` to a thread and back, and each
request gets a thread of its own (a new one per request), so a request pays about twenty thread hops
and, with it, a new database connection (SQLite's page cache starts cold every time). Here the
middleware chain, the view and `request_finished` run as one call on a lasting pool of threads: the
same code path as under WSGI, with persistent connections per thread (`CONN_MAX_AGE`). Reading the
body, the client disconnect watch and sending the response stay on the event loop, so streamed
responses (server-sent events, whose iterators are async) hold no thread while they wait.
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing

from asgiref.sync import sync_to_async
from django.core import signals
from django.core.exceptions import RequestAborted
from django.core.handlers import base
from django.core.handlers.asgi import ASGIHandler, get_script_prefix
from django.http import FileResponse
from django.urls import set_script_prefix


class Sent(Exception):
    """Ends the request's task group once the answer is out (the disconnect watch stops with it)."""


class Handler(ASGIHandler):
    def __init__(self, threads: int) -> None:
        base.BaseHandler.__init__(self)
        self.load_middleware(is_async=False)
        self.pool = ThreadPoolExecutor(threads, thread_name_prefix="request")

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            raise ValueError(f"Shopkeeper serves only HTTP connections, not {scope['type']}.")
        await self.handle(scope, receive, send)

    def respond(self, scope, body_file):
        """The request's synchronous part, on one pool thread: Django's WSGI sequence."""
        set_script_prefix(get_script_prefix(scope))
        signals.request_started.send(sender=self.__class__, scope=scope)
        request, response = self.create_request(scope, body_file)
        if request is not None:
            response = self.get_response(request)
            response._handler_class = self.__class__
            if isinstance(response, FileResponse):
                response.block_size = self.chunk_size
        if not response.streaming:
            response.close()  # request_finished here, on the thread whose connections it closes
        return response

    async def handle(self, scope, receive, send):
        try:
            body_file = await self.read_body(receive)
        except RequestAborted:
            return
        with closing(body_file):
            call = sync_to_async(self.respond, thread_sensitive=False, executor=self.pool)
            response = None
            try:
                try:
                    async with asyncio.TaskGroup() as tg:
                        tg.create_task(self.listen_for_disconnect(receive))
                        response = await call(scope, body_file)
                        await self.send_response(response, send)
                        raise Sent
                except* (Sent, RequestAborted):
                    pass
            except BaseExceptionGroup as group:
                if len(group.exceptions) == 1:
                    raise group.exceptions[0] from None
                raise
            if response is not None and response.streaming:
                await sync_to_async(response.close, thread_sensitive=False, executor=self.pool)()
