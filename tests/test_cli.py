"""The newsevents command as a user runs it: one real process, a clean log, clear errors."""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import subprocess
import sys
from contextlib import suppress
from datetime import date

import pytest

from flows.cli import build_parser, parse_date, print_rows
from tests import httpfaults

pytestmark = [pytest.mark.flow, pytest.mark.model, pytest.mark.slow]


def newsevents(*args: str, cwd, env_extra: dict | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run([sys.executable, "-m", "flows.cli", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)


@pytest.fixture(scope="module")
def ran(tmp_path_factory):
    root = tmp_path_factory.mktemp("cli")
    inputs = root / "in"
    inputs.mkdir()
    (inputs / "a.txt").write_text("Japan and India hold talks\n\nJapanese and Indian ministers met in Tokyo on "
                                  "Monday to discuss maritime security. The two governments agreed to hold joint naval "
                                  "exercises next year and to share information on shipping in the region.")
    (inputs / "b.txt").write_text("")
    (inputs / "c.html").write_text("<html><body></body></html>")  # trafilatura finds no text, and warns
    result = newsevents("run", str(inputs), "--published", "2026-02-10", cwd=root, env_extra={"NEWSEVENTS_DATA_DIR": str(root / "data")})
    return root, result


def test_run_prints_a_summary_and_a_clean_log(ran):
    _, result = ran
    assert result.returncode == 0, result.stderr
    assert "3 inputs -> 1 articles" in result.stdout and "2 quarantined" in result.stdout
    for noise in ("Traceback", "ERROR", "WARNING", "telemetry", "Failed to send"):  # the quarantine rows say it all
        assert noise not in result.stderr + result.stdout


def test_a_dask_run_logs_no_chatter(ran, tmp_path):
    root, _ = ran
    env = {k: v for k, v in os.environ.items() if not k.startswith("DASK_")}  # the command's own defaults only
    with socket.socket() as dashboard:  # Dask's dashboard port taken, as by another cluster (or held here)
        with suppress(OSError):
            dashboard.bind(("127.0.0.1", 8787))
            dashboard.listen()
        out = subprocess.run([sys.executable, "-m", "flows.cli", "run", str(root / "in"), "--runner", "dask", "--workers",
                              "2", "--data-dir", str(tmp_path)], cwd=root, env=env, capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    assert "3 inputs -> 1 articles" in out.stdout
    assert "| INFO " not in out.stderr, "Dask's scheduler and nannies log each start and stop at INFO"
    for noise in ("Warning", "WARNING", "Traceback"):  # a dashboard's port taken, a worker killed at shutdown
        assert noise not in out.stderr, out.stderr


def test_reprocess_with_nothing_to_do_says_why_in_one_line(ran, tmp_path):
    root, _ = ran
    current = newsevents("reprocess", "--data-dir", str(root / "data"), cwd=root)
    assert (current.returncode, current.stdout.count("\n")) == (0, 1), current.stderr
    assert current.stdout.strip().endswith(": nothing to reprocess: every article in the lake was made by the current pipeline "
                                           "version (`--all` rebuilds them anyway)")
    (tmp_path / "data").mkdir()
    empty = newsevents("reprocess", "--all", "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert (empty.returncode, empty.stdout.strip().split(": ", 1)[1]) == (0, "nothing to reprocess: the lake holds no articles")


def test_sql_prints_json_rows(ran):
    root, _ = ran
    out = newsevents("sql", "SELECT reason FROM quarantine ORDER BY reason", "--format", "json", "--data-dir", str(root / "data"),
                     cwd=root)
    assert out.returncode == 0, out.stderr
    assert [json.loads(line) for line in out.stdout.splitlines()] == [{"reason": "EMPTY"}, {"reason": "EXTRACT_EMPTY"}]


@pytest.mark.parametrize(("make", "message"), [(lambda path: None, "no such file or directory"),
                                              (os.mkfifo, "not a regular file or folder")], ids=["missing", "named pipe"])
def test_a_missing_or_special_path_is_a_one_line_error(tmp_path, make, message):
    make(tmp_path / "input")
    out = newsevents("run", str(tmp_path / "input"), "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().startswith(f"newsevents: {message}")
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists()


@pytest.mark.parametrize("command", [["run", "a.txt"], ["reprocess"],
                                     ["backfill", "--since", "2026-01-01", "--until", "2026-01-02", "--feed", "https://news.example/rss"]],
                         ids=["run", "reprocess", "backfill"])
def test_a_bad_dask_address_is_an_error_before_prefect_is_touched(tmp_path, command):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    (tmp_path / "a.txt").write_text("Title\n\nText.")
    (tmp_path / "d").mkdir()
    with socket.create_server(("127.0.0.1", 0)) as prefect:  # a Prefect API that would be asked for its health first
        api = f"http://127.0.0.1:{prefect.getsockname()[1]}/api"
        out = newsevents(*command, "--data-dir", str(tmp_path / "d"), "--dask-address",
                         f"tcp://127.0.0.1:{port}", cwd=tmp_path, env_extra={"PREFECT_API_URL": api})
        prefect.setblocking(False)
        with pytest.raises(BlockingIOError):  # no connection waits: without an API URL, no server was started either
            prefect.accept()
    assert out.returncode == 2, out.stderr
    assert out.stderr.strip() == f"newsevents: Dask scheduler at tcp://127.0.0.1:{port} is unreachable: Connection refused"


def test_a_missing_model_is_a_one_line_error(tmp_path):
    (tmp_path / "a.txt").write_text("Title\n\nText.")
    out = newsevents("run", str(tmp_path / "a.txt"), cwd=tmp_path, env_extra={"NEWSEVENTS_SPACY_MODEL": "no_such_model_pkg"})
    assert out.returncode == 2 and "no_such_model_pkg" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.parametrize("command", [("run", "a.txt"), ("reprocess",), ("backfill", "--since", "2026-03-01", "--until",
                                                                      "2026-03-02", "--feed", "http://127.0.0.1:9/f")])
def test_an_unreachable_prefect_api_is_a_one_line_error(tmp_path, command):
    (tmp_path / "a.txt").write_text("Title\n\nText.")
    if command == ("reprocess",):
        (tmp_path / "data").mkdir()  # reprocess refuses a data directory that is not there before it asks Prefect
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{s.getsockname()[1]}/api"  # closed again: nothing answers there
    out = newsevents(*command, "--data-dir", str(tmp_path / "data"), cwd=tmp_path, env_extra={"PREFECT_API_URL": url})
    assert out.returncode == 2
    assert out.stderr.startswith(f"newsevents: Prefect server at PREFECT_API_URL={url} is unreachable")
    assert len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists() or not any((tmp_path / "data").iterdir())


def test_all_inputs_bad_exits_1(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    out = newsevents("run", str(tmp_path / "empty.txt"), "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert out.returncode == 1 and "nothing could be read" in out.stderr


def test_a_folder_with_no_file_exits_1(tmp_path):
    (tmp_path / "in").mkdir()
    out = newsevents("run", str(tmp_path / "in"), "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert out.returncode == 1 and "0 inputs" in out.stdout
    assert out.stderr.strip() == "newsevents: nothing could be read: the folders named hold no files"


@pytest.mark.parametrize(("args", "message"), [
    (("run",), "nothing to ingest"),
    (("run", "--sources", "missing.toml"), "missing.toml: no such sources file"),
    (("run", "--feed", "http://127.0.0.1:9/feed.xml", "--dask-address", "tcp://127.0.0.1:9"), "Dask scheduler at tcp://127.0.0.1:9 is unreachable"),
    (("backfill", "--since", "2026-03-02", "--until", "2026-03-01", "--feed", "http://127.0.0.1:9/f"), "--until 2026-03-01 is before --since 2026-03-02"),
    (("backfill", "--since", "2026-03-01", "--until", "2026-03-02"), "backfill needs dated sources"),
    (("backfill", "--since", "2999-01-01", "--until", "2999-01-07", "--feed", "http://127.0.0.1:9/f"), "--since 2999-01-01 is after tomorrow ("),
    (("backfill", "--since", "0001-01-01", "--until", "9999-12-31", "--feed", "http://127.0.0.1:9/f"),
     "--since 0001-01-01 --until 9999-12-31 is 3,652,059 days, over 3,660: "),
    (("backfill", "--since", "1850-01-01", "--until", "1850-01-07", "--feed", "http://127.0.0.1:9/f"), "--since 1850-01-01 is before 1900-01-01"),
    (("sql", "SELECT 1", "--data-dir", "s3://bucket/news"), ("usage", "give --lake s3://bucket/news")),
    (("run", "--feed", "http://127.0.0.1:9/feed.xml", "--dask-address", ""), ("usage", "give the scheduler's address")),
    (("run", "in.txt", "--published", "9999-12-31"), ("usage", "'9999-12-31' is later than now")),
    (("run", "in.txt", "--published", "0001-01-01"), ("usage", "'0001-01-01' is before 1900-01-01: a placeholder for no date")),
    (("run", "--feed", "http://127.0.0.1:9/feed.xml", "--runner", "processes", "--workers", "1000"), "--workers 1000 is over "),
    (("serve", "--port", "99999"), ("usage", "'99999' is not a port number (1-65535)")),
    (("reprocess",), "no data directory at "),
    (("sql", "SELECT count(*) FROM articles"), "no data directory at "),
    (("report",), "no data directory at "),
    (("compact",), "no data directory at "),
    (("export", "--since", "2026-03-01", "--until", "2026-03-02", "--output", "out"), "no data directory at "),
])
def test_bad_options_are_one_line_errors_before_any_work(tmp_path, args, message):
    usage = isinstance(message, tuple)  # an argparse error: usage line, then the message
    out = newsevents(*args, *([] if usage else ["--data-dir", str(tmp_path / "data")]), cwd=tmp_path)
    assert (out.returncode, out.stdout) == (2, "")
    if usage:
        assert message[1] in out.stderr.splitlines()[-1]
    else:
        assert out.stderr.startswith(f"newsevents: {message}") and len(out.stderr.strip().splitlines()) == 1
    assert not (tmp_path / "data").exists() and list(tmp_path.iterdir()) == []


def test_a_backfill_of_url_lists_only_is_refused_as_they_carry_no_dates(tmp_path):
    (tmp_path / "sources.toml").write_text('[[sources]]\nname = "picked"\nkind = "urls"\nurls = ["https://news.example/a"]\n')
    out = newsevents("backfill", "--since", "2026-11-01", "--until", "2026-11-02", "--sources", "sources.toml",
                     "--data-dir", str(tmp_path / "data"), cwd=tmp_path)
    assert (out.returncode, out.stdout) == (2, "") and not (tmp_path / "data").exists()
    assert out.stderr.startswith("newsevents: backfill needs dated sources: ") and "a URL list's URLs carry no dates" in out.stderr


@pytest.mark.parametrize("value", ["20261101", "2026-W44-7", "2026-1-5", "2026-02-30", "2026-11-01T00:00"])
def test_a_date_is_yyyy_mm_dd_only(value):
    with pytest.raises(argparse.ArgumentTypeError, match="is not a date"):
        parse_date(value)
    assert parse_date("2026-11-01") == date(2026, 11, 1)


def test_csv_lines_end_with_a_newline_only(capsys):
    print_rows(["id", "text"], [(1, "a,b"), (2, None)], "csv")
    assert capsys.readouterr().out == 'id,text\n1,"a,b"\n2,\n'


HOSTILE = "\x1b]0;owned\x07\x1b[2J\x1b[1;31mFAKE\x9b2J ALERT\x1b]52;c;b3duZWQ=\x07\x7f\r"  # window title, clear, red, clipboard
RAW_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # what may not reach the terminal (tab and newline may)


@pytest.mark.parametrize("fmt", ["table", "csv", "json"])
def test_control_characters_in_any_column_are_printed_escaped(fmt, capsys):
    print_rows(["title", "detail\x1b[8m"], [(HOSTILE, "text/html;\x1b[2J\tcharset=utf-8\nline 2"), (None, 7)], fmt)
    out = capsys.readouterr().out
    assert not RAW_CONTROL.search(out), repr(out)
    if fmt == "json":
        assert [json.loads(line) for line in out.splitlines()] == [
            {"title": HOSTILE, "detail\x1b[8m": "text/html;\x1b[2J\tcharset=utf-8\nline 2"}, {"title": None, "detail\x1b[8m": 7}]
    else:
        assert "\\x1b]0;owned\\x07\\x1b[2J\\x1b[1;31mFAKE\\x9b2J ALERT\\x1b]52;c;b3duZWQ=\\x07\\x7f\\x0d" in out


def test_sql_prints_hostile_text_escaped(ran):
    root, _ = ran
    title = "chr(27) || ']0;owned' || chr(7) || chr(155) || '2J' || title"
    for fmt in ("table", "csv"):
        out = newsevents("sql", f"SELECT {title} AS title FROM articles", "--format", fmt, "--data-dir", str(root / "data"), cwd=root)
        assert out.returncode == 0, out.stderr
        assert "\\x1b]0;owned\\x07\\x9b2JJapan and India hold talks" in out.stdout and not RAW_CONTROL.search(out.stdout)


@pytest.mark.parametrize("option", ["--feed=http://x/f", "--sitemap=http://x/s", "--sources=s.toml", "--allow-private",
                                    "--refetch", "--user-agent=me"])
def test_reprocess_refuses_the_options_of_fetching(option, capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["reprocess", option])
    assert f"unrecognized arguments: {option}" in capsys.readouterr().err


@pytest.mark.parametrize("command", [["run"], ["backfill", "--since", "2026-11-01", "--until", "2026-11-02"], ["serve"]])
def test_the_commands_that_fetch_take_a_user_agent_and_private_hosts(command):
    args = build_parser().parse_args([*command, "--user-agent", "me", "--allow-private"])
    assert (args.user_agent, args.allow_private) == ("me", True)


def test_backfill_exits_1_only_when_every_input_of_every_day_was_quarantined(tmp_path):
    server = httpfaults.start()
    try:
        def backfill(since: str, until: str) -> subprocess.CompletedProcess:
            return newsevents("backfill", "--since", since, "--until", until, "--feed", server.base + "/feed-gone.xml",
                              "--allow-private", "--data-dir", str(tmp_path / since), cwd=tmp_path)

        some = backfill("2026-11-23", "2026-11-24")  # the 24th's only input, a 404, is quarantined; the 23rd's is stored
        assert some.returncode == 0 and "nothing could be read" not in some.stderr, some.stderr
        assert [line.split(": ", 2)[2][:26] for line in some.stdout.splitlines()] == ["1 inputs -> 1 articles, 0 ",
                                                                                      "1 inputs -> 0 articles, 0 "]
        none = backfill("2026-11-24", "2026-11-25")
        assert none.returncode == 1
        assert none.stderr.count("nothing could be read: every input was quarantined") == 1
    finally:
        server.shutdown()


def test_every_option_of_every_command_says_what_it_does():
    """`newsevents CMD --help` explains each option: sql's query and --format, extract's and eval's files had no word."""
    commands = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction)).choices
    silent = [f"{name} {action.option_strings or action.dest}" for name, command in commands.items()
              for action in command._actions if not action.help]
    assert silent == []
