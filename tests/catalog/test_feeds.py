"""Scheduled catalog feeds: the worker queues due feeds once, fetches them over HTTP, refuses private URLs."""

from __future__ import annotations

import http.server
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections
from django_tasks_db.models import DBTaskResult

from shopkeeper.catalog import services, tasks
from shopkeeper.catalog.models import FeedSource, ImportJob, ImportStatus, Offer
from tests.catalog.factories import ACTOR
from tests.catalog.test_import import FEED

FEED_BYTES = FEED.format(price="1090").encode()


@pytest.fixture
def allow_private(settings):
    settings.SHOPKEEPER_IMPORT_ALLOW_PRIVATE_URLS = True
    return settings


@pytest.fixture
def feed_server():
    """A local HTTP server serving the YML feed at /feed.xml (and 404 elsewhere)."""

    class Handler(http.server.BaseHTTPRequestHandler):
        hits = 0

        def do_GET(self):
            if self.path != "/feed.xml":
                self.send_error(404)
                return
            Handler.hits += 1
            self.send_response(200)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(FEED_BYTES)))
            self.end_headers()
            self.wfile.write(FEED_BYTES)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}"
    server.handler = Handler
    yield server
    server.shutdown()
    server.server_close()


def _run_queued_tasks() -> None:
    """Run what the worker would: each queued task as stored by the django_tasks_db backend."""
    for result in DBTaskResult.objects.order_by("enqueued_at"):
        result.task.call(*result.args_kwargs["args"], **result.args_kwargs["kwargs"])


@pytest.mark.django_db
def test_due_feed_is_queued_once_then_on_schedule(allow_private, django_capture_on_commit_callbacks):
    feed = services.feed_create(name="Main", url="http://127.0.0.1:9/feed.xml", interval_hours=6, actor=ACTOR)
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.enqueue_due_feeds()
        again = tasks.enqueue_due_feeds()
    assert len(first) == 1 and again == []
    assert ImportJob.objects.count() == 1
    assert DBTaskResult.objects.filter(task_path__endswith="run_import").count() == 1
    feed.refresh_from_db()
    assert feed.last_job_id == first[0] and feed.status == ImportStatus.PENDING
    assert feed.next_run_at == feed.last_run_at + timedelta(hours=6)

    # Its time comes again while the first import still waits: nothing new is queued.
    assert tasks.enqueue_due_feeds(now=feed.next_run_at + timedelta(seconds=1)) == []
    assert ImportJob.objects.count() == 1
    # Once that import finished, the next slot queues a new one.
    ImportJob.objects.filter(pk=first[0]).update(status=ImportStatus.DONE)
    feed.refresh_from_db()
    later = tasks.enqueue_due_feeds(now=feed.next_run_at + timedelta(seconds=1))
    assert len(later) == 1 and ImportJob.objects.count() == 2

    # A paused feed is never queued.
    services.feed_update(feed=feed, is_active=False, actor=ACTOR)
    assert tasks.enqueue_due_feeds(now=feed.last_run_at + timedelta(days=30)) == []


@pytest.mark.django_db(transaction=True)
def test_parallel_workers_queue_a_due_feed_once(allow_private):
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        pytest.skip("threads need a file database on SQLite: set TEST_SQLITE_NAME=/tmp/x.sqlite3")
    services.feed_create(name="Main", url="http://127.0.0.1:9/feed.xml", actor=ACTOR)
    start = threading.Barrier(8)

    def worker(_i: int) -> list[int]:
        try:
            start.wait()
            return tasks.enqueue_due_feeds()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(worker, range(8)))
    assert sum(len(r) for r in results) == 1
    assert ImportJob.objects.count() == 1
    assert DBTaskResult.objects.count() == 1


@pytest.mark.django_db
def test_worker_fetches_the_feed_over_http_and_imports_it(
    allow_private, feed_server, django_capture_on_commit_callbacks
):
    feed = services.feed_create(name="Local", url=f"{feed_server.url}/feed.xml", actor=ACTOR)
    with django_capture_on_commit_callbacks(execute=True):
        [job_id] = tasks.enqueue_due_feeds()
    _run_queued_tasks()
    job = ImportJob.objects.get(pk=job_id)
    assert (job.status, job.created, job.skipped, job.source_url) == ("done", 2, 1, feed.url)
    assert feed_server.handler.hits == 1
    assert set(Offer.objects.values_list("sku", flat=True)) == {"TEE-RED-M", "TEE-RED-L"}
    feed.refresh_from_db()
    assert feed.status == "done" and feed.status_label


@pytest.mark.django_db
def test_feed_that_cannot_be_downloaded_fails_the_job(
    allow_private, feed_server, django_capture_on_commit_callbacks
):
    feed = services.feed_create(name="Gone", url=f"{feed_server.url}/missing.xml", actor=ACTOR)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.enqueue_due_feeds()
    _run_queued_tasks()
    feed.refresh_from_db()
    assert feed.status == "failed" and "404" in feed.last_job.message
    assert not Offer.objects.exists()


@pytest.mark.django_db
def test_private_addresses_are_refused_without_the_override(settings, feed_server):
    with pytest.raises(ValidationError) as exc:
        services.feed_create(name="Local", url=f"{feed_server.url}/feed.xml", actor=ACTOR)
    assert "url" in exc.value.message_dict and not FeedSource.objects.exists()

    # Allowed when it was saved; refused at run time once the override is gone (e.g. DNS now private).
    settings.SHOPKEEPER_IMPORT_ALLOW_PRIVATE_URLS = True
    feed = services.feed_create(name="Local", url=f"{feed_server.url}/feed.xml", actor=ACTOR)
    settings.SHOPKEEPER_IMPORT_ALLOW_PRIVATE_URLS = False
    assert tasks.enqueue_due_feeds() == []
    feed.refresh_from_db()
    assert feed.status == "failed" and "private" in feed.last_message
    assert not ImportJob.objects.exists() and feed_server.handler.hits == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"url": "ftp://example.com/f"}, "url"),
        ({"interval_hours": 0}, "interval_hours"),
        ({"format": "csv", "mapping": {"nope": "Col"}}, "mapping"),
        ({"format": "yml", "mapping": {"sku": "Col"}}, "mapping"),
    ],
)
def test_bad_feed_settings_are_refused(allow_private, values, field):
    data = {"name": "F", "url": "http://127.0.0.1/f.xml", **values}
    with pytest.raises(ValidationError) as exc:
        services.feed_create(actor=ACTOR, **data)
    assert field in exc.value.message_dict and not FeedSource.objects.exists()


@pytest.mark.django_db
def test_feed_settings_pages(admin_client, allow_private, django_assert_max_num_queries):
    response = admin_client.post(
        "/catalog/feeds/new/",
        {
            "name": "Supplier <b>",
            "url": "http://127.0.0.1:9/p.csv",
            "format": "csv",
            "mapping": "sku=Article\nprice_retail=Price",
            "interval_hours": "12",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    feed = FeedSource.objects.get()
    assert feed.mapping == {"sku": "Article", "price_retail": "Price"} and feed.interval_hours == 12
    for i in range(5):
        services.feed_create(name=f"Feed {i}", url=f"http://127.0.0.1:9/{i}.xml", actor=ACTOR)
    tasks.enqueue_due_feeds()
    with django_assert_max_num_queries(10):
        page = admin_client.get("/catalog/feeds/")
    assert (
        page.status_code == 200
        and b"Supplier &lt;b&gt;" in page.content
        and b'href="/catalog/feeds/"' in page.content  # the Settings navigation
    )

    edit = admin_client.post(
        f"/catalog/feeds/{feed.pk}/",
        {"name": "Supplier", "url": feed.url, "format": "csv", "mapping": "sku=", "interval_hours": "12"},
    )
    assert edit.status_code == 200 and "field=column" in edit.content.decode()
    edit = admin_client.post(
        f"/catalog/feeds/{feed.pk}/",
        {"name": "Supplier", "url": feed.url, "format": "csv", "mapping": "", "interval_hours": "3"},
    )
    assert edit.status_code == 302
    feed.refresh_from_db()
    assert (feed.interval_hours, feed.is_active, feed.next_run_at) == (3, False, None)

    # The scheduled import has not run yet: "Run now" does not queue another.
    assert admin_client.post(f"/catalog/feeds/{feed.pk}/run/").url == "/catalog/feeds/"
    assert ImportJob.objects.filter(source_url=feed.url).count() == 1
    ImportJob.objects.filter(source_url=feed.url).update(status=ImportStatus.DONE)
    run = admin_client.post(f"/catalog/feeds/{feed.pk}/run/")
    assert run.status_code == 302 and run.url.startswith("/catalog/imports/")
    assert ImportJob.objects.filter(source_url=feed.url).count() == 2
    assert admin_client.get(f"/catalog/feeds/{feed.pk}/run/").status_code == 405
    assert admin_client.post(f"/catalog/feeds/{feed.pk}/delete/").status_code == 302
    assert not FeedSource.objects.filter(pk=feed.pk).exists()


@pytest.mark.django_db
def test_feed_pages_need_permissions(client, make_user, allow_private):
    feed = services.feed_create(name="F", url="http://127.0.0.1:9/f.xml", actor=ACTOR)
    client.force_login(make_user("manager"))
    assert client.get("/catalog/feeds/").status_code == 200  # managers may look
    assert client.get("/catalog/feeds/new/").status_code == 403
    assert client.post(f"/catalog/feeds/{feed.pk}/run/").status_code == 403
    assert client.post(f"/catalog/feeds/{feed.pk}/delete/").status_code == 403
