"""ORIGINS -> ROBOTS RULES: robots.txt fetched once per origin through the guarded client, cached for the run.

Status handling follows RFC 9309: 2xx is parsed; 4xx means no rules (allow all); 5xx, a refused
address or no answer means "unreachable", and the whole origin is disallowed. A 2xx file is read as
RFC 9309 2.2 asks: "crawlers MUST use the parseable rules", so a line that urllib.robotparser raises
on (a Crawl-delay or Request-rate of "²", a Disallow of "http://[x") is left out and the file's other
rules still hold; a broken line does not close the site, nor open it. A file over MAX_ROBOTS_BYTES is
read up to there, its cut last line left out (RFC 9309 2.5: parse at least the first 500 KiB).
"""

from __future__ import annotations

import math
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass
from urllib.robotparser import RobotFileParser

from transforms.fetch_http import Client, Response
from transforms.urls import origin

MAX_ROBOTS_BYTES = 512 * 1024  # read this much of a longer file (RFC 9309 asks for at least 500 KiB)
MAX_KEPT_BYTES = 32 * 1024 * 1024  # robots.txt bytes whose rules the cache keeps (parsed, ~10 times as much in memory)
MAX_CRAWL_DELAY = 86_400  # seconds; FetchOptions.max_crawl_delay caps it further
CRAWL_DELAY = re.compile(r"^\s*crawl-delay\s*:(.*)$", re.IGNORECASE)
DELAY = re.compile(r"^\s*([0-9]+\.?[0-9]*|\.[0-9]+)\s*(?:#.*)?$")


@dataclass(frozen=True)
class Rules:
    """The robots.txt rules of one origin."""

    parser: RobotFileParser
    crawl_delay: float | None
    unreachable: str | None = None  # reason code or HTTP status that kept robots.txt from being read
    detail: str | None = None  # the fetch error behind `unreachable`

    def veto(self, url: str, user_agent: str) -> str | None:
        """Why robots.txt forbids the URL, or None when it allows it."""
        if self.unreachable:
            why = self.unreachable if self.detail in (None, self.unreachable) else f"{self.unreachable}: {self.detail}"
            return f"robots.txt unreachable ({why}), origin disallowed"
        if not self.parser.can_fetch(user_agent, url):
            return "robots.txt disallows this URL"
        return None


class RobotsCache:
    """robots.txt rules per origin, fetched once per origin by one thread while others wait, and kept while the files
    kept add up to max_kept_bytes: a 512 KiB file parses to ~5 MB, so without a bound a feed listing pages on a few
    hundred hosts (subdomains of one name) that serve such files would take gigabytes. Beyond it the least recently
    used origin's rules are dropped, and fetched again if asked for again."""

    def __init__(self, client: Client, *, max_kept_bytes: int = MAX_KEPT_BYTES):
        self.client = client
        self.max_kept_bytes = max_kept_bytes
        self._rules: OrderedDict[str, tuple[Rules, int]] = OrderedDict()  # by origin: the rules and their file's size
        self._kept = 0
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()

    def rules(self, url: str) -> tuple[Rules, list[Response]]:
        """The rules for the URL's origin, and the robots.txt responses when this call fetched them (retries included)."""
        key = origin(url)
        with self._guard:
            lock = self._locks.setdefault(key, threading.Lock())
        with lock:
            if (kept := self.kept(key)) is not None:
                return kept, []
            responses = self.fetch(f"{key}/robots.txt")
            rules = parse_rules(responses[-1], self.client.options.user_agent)
            self.keep(key, rules, len(responses[-1].body or b""))
            return rules, responses

    def kept(self, key: str) -> Rules | None:
        """The origin's rules if they are kept (now the most recently used), else None."""
        with self._guard:
            if key not in self._rules:
                return None
            self._rules.move_to_end(key)
            return self._rules[key][0]

    def keep(self, key: str, rules: Rules, size: int) -> None:
        """Keep the origin's rules, dropping the least recently used ones while the files kept exceed max_kept_bytes."""
        with self._guard:
            self._rules[key] = (rules, size)
            self._kept += size
            while self._kept > self.max_kept_bytes and len(self._rules) > 1:
                _, (_, dropped) = self._rules.popitem(last=False)
                self._kept -= dropped

    def fetch(self, url: str) -> list[Response]:
        """Every try at robots.txt: a 429, 5xx, timeout or reset is tried again like a page, so one hiccup does not close a site.
        Its connections are closed after each answer: robots.txt is read once per origin, so kept in the client's pool they
        would serve nothing, and stay open as long as the cache lives (for good, once a failed run's exception holds it)."""
        options = self.client.options
        responses = [self.client.get(url, max_body_bytes=MAX_ROBOTS_BYTES, cut=True, keep_alive=False)]
        while responses[-1].retryable and len(responses) <= options.retries:
            retry_after = responses[-1].retry_after
            wait = options.backoff * 2 ** (len(responses) - 1) if retry_after is None else retry_after
            if wait > options.max_retry_after or self.client.abandoned.wait(wait):
                break  # too long a wait, or the run is stopping
            responses.append(self.client.get(url, max_body_bytes=MAX_ROBOTS_BYTES, cut=True, keep_alive=False))
        return responses


def crawl_delay_line(line: str) -> str | None:
    """A Crawl-delay line in whole seconds up to a day (urllib.robotparser reads only those, and int() of "²" raises); None for one that is no ASCII number; other lines as they are."""
    field = CRAWL_DELAY.match(line)
    if field is None:
        return line
    number = DELAY.match(field.group(1))
    return f"Crawl-delay: {math.ceil(min(float(number.group(1)), MAX_CRAWL_DELAY))}" if number else None


def parseable(line: str) -> bool:
    """True when urllib.robotparser reads the line without raising."""
    try:
        RobotFileParser().parse(["User-agent: *", line])
    except ValueError:
        return False
    return True


def parse_text(text: str) -> RobotFileParser:
    """The parser fed the file's lines; when it raises, fed again with only the lines it reads alone (RFC 9309: use the parseable rules)."""
    lines = [kept for line in text.splitlines() if (kept := crawl_delay_line(line)) is not None]
    parser = RobotFileParser()
    try:
        parser.parse(lines)
    except ValueError:
        parser = RobotFileParser()
        parser.parse([line for line in lines if parseable(line)])
    return parser


def parse_rules(response: Response, user_agent: str) -> Rules:
    """Rules from a robots.txt response, by RFC 9309's reading of its status."""
    parser = RobotFileParser()
    status = response.status
    if response.error is not None and not (status is not None and 400 <= status < 500):
        parser.parse([])
        return Rules(parser, None, unreachable=str(response.error) if status is None else f"HTTP {status}",
                     detail=response.detail)
    if status is not None and 400 <= status < 500:
        parser.parse([])
        return Rules(parser, None)
    body = response.body or b""
    if response.truncated:
        body = body[:body.rfind(b"\n") + 1]  # the last line was cut short: "Allow: /public/x" may have become "Allow: /"
    parser = parse_text(body.decode("utf-8", errors="replace"))
    delay = parser.crawl_delay(user_agent)
    return Rules(parser, float(delay) if delay is not None else None)
