"""URLS -> RAW DOCUMENTS + FETCH ROWS: fetch pages politely (robots.txt, per-host limits, retries) on a thread pool.

`fetch(targets, options=..., store=...)` yields one `Fetched` per target, in completion order, as
soon as it is done, so a run over 10,000 URLs holds only `max_pending` URLs and a few bodies at
a time. Each `Fetched` carries the `fetches` rows of every attempt made for it (robots.txt included,
retries each a row with `attempts` = 1, 2, ...) and its outcome: a RawDocument, a Rejection, or
None when there is nothing new (a URL seen before in the call or in the lake, or 304 Not Modified).
"""

from __future__ import annotations

import dataclasses
import queue
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from transforms.errors import Reason, Rejection
from transforms.fetch_decode import GZIP_MAGIC, BadEncoding, DecodedTooLarge, decode_all
from transforms.fetch_http import Client, Response
from transforms.fetch_options import FetchOptions
from transforms.ids import sha256_hex, stable_id
from transforms.rawstore import RawStore
from transforms.read import RawDocument, document_from_bytes
from transforms.robots import RobotsCache, Rules
from transforms.urls import canonical_url, host_key, url_problem

STAGE = "fetch"
RETRY_STATUSES_SLOW_DOWN = frozenset({429, 503})
GZIP_TYPES = frozenset({"application/x-gzip", "application/gzip", "application/octet-stream"})
STOP_WAIT = 2.0  # seconds a stopping pool waits for its workers: idle or abandoned, they return within milliseconds


@dataclass(frozen=True, kw_only=True)
class Target:
    """A URL to fetch and what led to it (feed, sitemap, source list), with metadata already known."""

    url: str
    source_name: str | None = None
    title: str | None = None
    published_at: datetime | None = None
    headers: tuple[tuple[str, str], ...] = ()  # extra request headers (conditional GET)


@dataclass(frozen=True, kw_only=True)
class Fetched:
    """The outcome for one URL and the `fetches` rows (without run_id) of every attempt made for it."""

    url: str
    rows: tuple[dict, ...]
    result: RawDocument | Rejection | None


@dataclass(kw_only=True)
class Job:
    """A target in flight: its canonical URL, its tries so far and the rows they made."""

    target: Target
    url: str
    attempt: int = 1
    not_before: float = 0.0
    rows: list[dict] = field(default_factory=list)


def fetch(
    targets: Iterable[str | Target],
    *,
    options: FetchOptions,
    store: RawStore | None = None,
    known_urls: frozenset[str] | set[str] = frozenset(),
    refused_urls: frozenset[str] | set[str] = frozenset(),
    robots: RobotsCache | None = None,
) -> Iterator[Fetched]:
    """One Fetched per target, as results complete; a canonical URL seen before in the call or in `known_urls`
    (unless options.refetch), or in `refused_urls`, is not fetched and gets result None.

    Pass one `robots` cache to every call of a run so robots.txt is read once per origin per run.
    """
    client = Client(options)
    pool = Pool(options, client, store, robots or RobotsCache(client))
    seen: set[str] = set()
    items = iter(targets)
    exhausted = False
    pending = 0
    try:
        while True:
            while not exhausted and pending < options.max_pending:
                try:
                    item = next(items)
                except StopIteration:
                    exhausted = True
                    break
                target = item if isinstance(item, Target) else Target(url=item)
                problem = url_problem(target.url)
                if problem:
                    yield Fetched(url=target.url, rows=(), result=Rejection(
                        stage=STAGE, reason=Reason.BAD_URL, url=target.url[:2048], detail=problem))
                    continue
                url = canonical_url(target.url)
                if url in seen or (url in known_urls and not options.refetch) or url in refused_urls:
                    yield Fetched(url=url, rows=(), result=None)  # fetched earlier in this run, in the lake, or refused for good
                    continue
                seen.add(url)
                pool.submit(Job(target=target, url=url))
                pending += 1
            if pending == 0:
                return
            done = pool.results.get()
            pending -= 1
            if isinstance(done, BaseException):
                raise done
            yield done
    except BaseException:  # Ctrl-C, SIGTERM, an error, or the consumer closed the stream: nothing waits for a slow server
        pool.abandon()
        raise
    finally:
        pool.stop()
        client.close()


class Pool:
    """Worker threads that take jobs from per-host queues, honouring concurrency, delays and retry times."""

    def __init__(self, options: FetchOptions, client: Client, store: RawStore | None, robots: RobotsCache):
        self.options, self.client, self.store, self.robots = options, client, store, robots
        self.results: queue.Queue[Fetched | BaseException] = queue.Queue(maxsize=2 * options.workers)
        self.cond = threading.Condition()
        self.queues: OrderedDict[str, deque[Job]] = OrderedDict()
        self.active: dict[str, int] = {}
        self.next_start: dict[str, float] = {}
        self.delay: dict[str, float] = {}
        self.stopped = False
        self.threads = [threading.Thread(target=self.work, name=f"fetch-{i}", daemon=True)
                        for i in range(max(1, options.workers))]
        for t in self.threads:
            t.start()

    def submit(self, job: Job, *, first: bool = False) -> None:
        """Queue a job on its host (at the front for a retry)."""
        key = host_key(job.url)  # limits apply per host, whatever the scheme or port
        with self.cond:
            q = self.queues.setdefault(key, deque())
            q.appendleft(job) if first else q.append(job)
            self.cond.notify()

    def take(self) -> tuple[str, Job] | None:
        """The next job whose host has a free slot and whose time has come; None once stopped."""
        with self.cond:
            while not self.stopped:
                now = time.monotonic()
                wait = 1.0
                for key, q in self.queues.items():
                    if self.active.get(key, 0) >= self.slots(key):
                        continue
                    ready_at = max(self.next_start.get(key, 0.0), q[0].not_before)
                    if ready_at <= now:
                        job = q.popleft()
                        if not q:
                            del self.queues[key]
                        else:
                            self.queues.move_to_end(key)  # round robin across hosts
                        self.active[key] = self.active.get(key, 0) + 1
                        self.next_start[key] = now + self.delay.get(key, self.options.min_delay)
                        return key, job
                    wait = min(wait, ready_at - now)
                self.cond.wait(max(wait, 0.001))
            return None

    def slots(self, key: str) -> int:
        """Requests allowed in flight on the host: one until its robots.txt (and Crawl-delay) is known."""
        if self.options.respect_robots and key not in self.delay:
            return 1
        return self.options.per_domain_concurrency

    def release(self, key: str, *, slow_down_until: float | None = None, crawl_delay: float | None = None) -> None:
        """Free the host's slot; the first release sets its delay (Crawl-delay), a 429/503 pushes its next start back."""
        with self.cond:
            self.active[key] -= 1
            if key not in self.delay:
                self.delay[key] = max(self.options.min_delay, min(crawl_delay or 0.0, self.options.max_crawl_delay))
                self.next_start[key] = max(self.next_start.get(key, 0.0), time.monotonic() + self.delay[key])
            if slow_down_until is not None:
                self.next_start[key] = max(self.next_start.get(key, 0.0), slow_down_until)
            self.cond.notify_all()

    def work(self) -> None:
        """Worker loop: run jobs until stopped."""
        while (taken := self.take()) is not None:
            key, job = taken
            try:
                outcome: Fetched | BaseException | None = self.run(key, job)
            except Exception as e:  # a bug, not the web's fault: re-raised in the consumer's thread
                outcome = e
            if outcome is None:
                continue
            while not self.stopped:
                try:
                    self.results.put(outcome, timeout=0.2)
                    break
                except queue.Full:
                    continue

    def run(self, key: str, job: Job) -> Fetched | None:
        """One try at a job: a finished Fetched, or None when the job was queued again for a retry."""
        crawl_delay = slow_down_until = None
        retry = False
        try:
            if self.options.respect_robots:
                rows_before = len(job.rows)
                rules = self.robots_rules(job, job.url)
                if len(job.rows) > rows_before:  # this job read the host's robots.txt
                    crawl_delay = rules.crawl_delay
                if rules.unreachable in (Reason.PRIVATE_ADDRESS, Reason.BAD_URL):  # no page there can be fetched either
                    return self.finish(job, Rejection(stage=STAGE, reason=Reason(rules.unreachable), url=job.url,
                                                      detail=rules.detail or "non-public address"))
                veto = rules.veto(job.url, self.options.user_agent)
                if veto:
                    return self.finish(job, Rejection(stage=STAGE, reason=Reason.ROBOTS_DISALLOWED, url=job.url, detail=veto))
            response = self.client.get(job.url, headers=job.target.headers, content_types=self.options.content_types,
                                       permit=self.redirect_veto(job) if self.options.respect_robots else None)
            job.rows.append(fetch_row(response, source_name=job.target.source_name, attempt=job.attempt,
                                      body_sha256=self.keep(response)))
            wait = self.retry_wait(job, response)
            if wait is None:
                return self.finish(job, self.outcome(job, response))
            job.attempt += 1
            job.not_before = time.monotonic() + wait
            if response.status in RETRY_STATUSES_SLOW_DOWN:
                slow_down_until = job.not_before
            retry = True
            return None
        finally:
            self.release(key, slow_down_until=slow_down_until, crawl_delay=crawl_delay)
            if retry:
                self.submit(job, first=True)

    def robots_rules(self, job: Job, url: str) -> Rules:
        """The robots.txt rules for the URL's origin; a fetch of robots.txt adds its rows to the job."""
        rules, responses = self.robots.rules(url)
        rows = [fetch_row(r, source_name="robots.txt", attempt=n) for n, r in enumerate(responses, start=1)]
        for row in rows:
            if 400 <= (row["status"] or 0) < 500:
                row["error"] = None  # not a failure: by RFC 9309 a robots.txt answered with a 4xx sets no rules
        job.rows.extend(rows)
        return rules

    def redirect_veto(self, job: Job) -> Callable[[str], str | None]:
        """The check every redirect target of the job must pass: robots.txt of its origin."""
        return lambda url: self.robots_rules(job, url).veto(url, self.options.user_agent)

    def retry_wait(self, job: Job, response: Response) -> float | None:
        """Seconds to wait before trying again, or None when the attempt is final."""
        if not response.retryable or job.attempt > self.options.retries:
            return None
        if response.retry_after is not None:
            return response.retry_after if response.retry_after <= self.options.max_retry_after else None
        return self.options.backoff * 2 ** (job.attempt - 1)

    def keep(self, response: Response) -> str | None:
        """Store a successful body in the raw store; its SHA-256."""
        if response.body is None or response.error is not None:
            return None
        if self.store is None:
            return sha256_hex(response.body)
        return self.store.put(response.body)

    def outcome(self, job: Job, response: Response) -> RawDocument | Rejection | None:
        """The document a final response makes, or the rejection it deserves."""
        if response.error is not None:
            detail = response.detail or str(response.error)
            if response.retryable and response.retry_after is not None and response.retry_after > self.options.max_retry_after:
                detail += f"; Retry-After {response.retry_after:.0f} s is over the cap of {self.options.max_retry_after:.0f} s"
            elif response.retryable and self.options.retries:
                detail += f" (after {job.attempt} attempts)"
            return Rejection(stage=STAGE, reason=response.error, url=job.url, detail=detail, payload=response.body)
        if response.status == 304:
            return None
        try:
            body = unwrap_gzip_file(response, self.options.max_decoded_bytes)
        except (DecodedTooLarge, BadEncoding) as e:
            reason = Reason.TOO_LARGE if isinstance(e, DecodedTooLarge) else Reason.UNDECODABLE
            job.rows[-1]["error"] = str(reason)
            return Rejection(stage=STAGE, reason=reason, url=job.url, detail=str(e), payload=response.body)
        result = document_from_bytes(body, location=job.url, url=response.final_url or job.url,
                                     input_format="web", is_html=True, title=job.target.title,
                                     content_type=response.content_type)
        if isinstance(result, Rejection):
            job.rows[-1]["error"] = str(result.reason)
            return dataclasses.replace(result, stage=STAGE)
        return dataclasses.replace(result, published_at=job.target.published_at, source_name=job.target.source_name)

    def finish(self, job: Job, result: RawDocument | Rejection | None) -> Fetched:
        """The finished outcome of a job."""
        return Fetched(url=job.url, rows=tuple(job.rows), result=result)

    def abandon(self) -> None:
        """Give up the requests in flight, pages and robots.txt alike: their connections are hung up and no new request
        is sent, so each worker returns at once; their outcomes are dropped, as the stream's reader is gone."""
        self.client.abandon()
        self.robots.client.abandon()

    def stop(self) -> None:
        """Stop the workers and wait for them, STOP_WAIT seconds at most in all (one still connecting is left behind)."""
        with self.cond:
            self.stopped = True
            self.cond.notify_all()
        deadline = time.monotonic() + STOP_WAIT
        for t in self.threads:
            t.join(timeout=max(0.0, deadline - time.monotonic()))


def unwrap_gzip_file(response: Response, cap: int) -> bytes:
    """The body, gunzipped within the cap when it is a .gz file (sitemap.xml.gz) rather than a page."""
    body = response.body or b""
    if body.startswith(GZIP_MAGIC) and (response.media_type in GZIP_TYPES or response.url.endswith(".gz")):
        return decode_all(body, "gzip", cap)
    return body


def fetch_row(response: Response, *, source_name: str | None, attempt: int, body_sha256: str | None = None) -> dict:
    """The `fetches` row of one attempt (every field but run_id)."""
    fetched_at = datetime.now(UTC)
    return {
        "fetch_id": stable_id(response.url, fetched_at.isoformat(), attempt),
        "url": response.url,
        "final_url": response.final_url,
        "source_name": source_name,
        "status": response.status,
        "error": str(response.error) if response.error is not None else None,
        "content_type": response.media_type,
        "bytes": len(response.body) if response.body is not None else None,
        "body_sha256": body_sha256,
        "etag": response.etag,
        "last_modified": response.last_modified,
        "redirects": response.redirects,
        "attempts": attempt,
        "elapsed_ms": response.elapsed_ms,
        "fetched_at": fetched_at,
    }
