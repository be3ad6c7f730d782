"""FILES -> RAW DOCUMENTS: formats, locations and every kind of bad input."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime

import pytest

from transforms.errors import NewseventsError, Reason, Rejection
from transforms.read import RawDocument, expand_paths, read_files


def read_all(*paths, **kwargs):
    return list(read_files(expand_paths(paths)[0], **kwargs))


def test_txt_file_becomes_a_document_with_a_file_url(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("Ministers meet in Oslo\n\nThe foreign ministers met on Monday.", encoding="utf-8")
    [doc] = read_all(path, published=date(2026, 3, 2))
    assert isinstance(doc, RawDocument)
    assert doc.location == doc.url == path.resolve().as_uri()
    assert doc.url.startswith("file:///")
    assert (doc.input_format, doc.is_html) == ("txt", False)
    assert doc.content.startswith("Ministers meet in Oslo")
    assert doc.published_at == datetime(2026, 3, 2, tzinfo=UTC)


def test_html_honours_the_meta_charset(tmp_path):
    path = tmp_path / "page.html"
    path.write_bytes('<html><head><meta charset="windows-1252"></head><body><p>Caf\xe9 talks</p></body></html>'.encode("cp1252"))
    [doc] = read_all(path)
    assert doc.is_html and "Café talks" in doc.content


def test_jsonl_records_keep_their_fields_and_bad_lines_are_rejected_alone(tmp_path):
    path = tmp_path / "batch.jsonl"
    lines = [
        json.dumps({"text": "Kenya and Uganda signed a trade deal.", "url": "https://news.example/a", "title": "Deal",
                    "published_at": "2026-05-04T10:00:00+02:00"}),
        "{not json",
        json.dumps(["a", "list"]),
        json.dumps({"title": "no body"}),
        json.dumps({"html": "<p>Peru recalled its ambassador.</p>", "published_at": "yesterday"}),
        "",
        json.dumps({"html": "<p>Chile hosted talks.</p>"}),
    ]
    path.write_text("\n".join(lines) + "\n")
    out = read_all(path)
    assert [o.reason if isinstance(o, Rejection) else "doc" for o in out] == [
        "doc", Reason.JSONL_MALFORMED, Reason.JSONL_MALFORMED, Reason.JSONL_NO_TEXT, Reason.BAD_FIELD, "doc"]
    first, last = out[0], out[-1]
    assert first.url == "https://news.example/a" and first.title == "Deal"
    assert first.published_at == datetime(2026, 5, 4, 8, 0, tzinfo=UTC)
    assert last.is_html and last.url == last.location == f"{path.resolve().as_uri()}#line=7"
    assert out[1].url.endswith("#line=2")


def test_oversized_jsonl_line_is_skipped_without_losing_the_next(tmp_path):
    path = tmp_path / "big.jsonl"
    path.write_text(json.dumps({"text": "x" * 5000}) + "\n" + json.dumps({"text": "Small record."}) + "\n")
    out = read_all(path, max_bytes=1000)
    assert out[0].reason == Reason.TOO_LARGE
    assert out[1].content == "Small record."



def test_a_jsonl_line_nested_too_deeply_is_malformed_and_the_next_is_read(tmp_path):
    """json.loads raised RecursionError on 100,000 nested arrays, which ended the whole run."""
    path = tmp_path / "deep.jsonl"
    path.write_text('{"text": "Deep.", "x": ' + "[" * 100_000 + "]" * 100_000 + "}\n" + json.dumps({"text": "Next."}) + "\n")
    deep, following = read_all(path)
    assert deep.reason == Reason.JSONL_MALFORMED and deep.detail == "line nests JSON arrays or objects too deeply to read"
    assert following.content == "Next."


@pytest.mark.parametrize("when", ["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"])
def test_a_published_at_out_of_range_in_utc_is_a_bad_field_and_the_next_record_is_read(tmp_path, when):
    path = tmp_path / "dates.jsonl"
    path.write_text(json.dumps({"text": "Chile hosted talks.", "published_at": when}) + "\n"
                    + json.dumps({"text": "Peru recalled its ambassador."}) + "\n")
    bad, good = read_all(path)
    assert bad.reason == Reason.BAD_FIELD and bad.detail.endswith("is not an ISO date: out of range once in UTC")
    assert good.content == "Peru recalled its ambassador."


@pytest.mark.parametrize("when", ["9999-12-31", "2999-01-01T00:00:00Z"])
def test_a_published_at_in_the_future_is_a_bad_field_and_the_next_record_is_read(tmp_path, when):
    path = tmp_path / "dates.jsonl"
    path.write_text(json.dumps({"text": "Chile hosted talks.", "published_at": when}) + "\n"
                    + json.dumps({"text": "Peru recalled its ambassador.", "published_at": "2020-03-01"}) + "\n")
    bad, good = read_all(path)
    assert bad.reason == Reason.BAD_FIELD and f"published_at {when!r} is later than now" in bad.detail
    assert good.published_at == datetime(2020, 3, 1, tzinfo=UTC)


@pytest.mark.parametrize("when", ["0001-01-01", "0001-01-01T00:00:00Z", "1850-01-01", "1899-12-31T23:59:59Z"])
def test_a_placeholder_published_at_before_1900_is_a_bad_field_and_the_next_record_is_read(tmp_path, when):
    path = tmp_path / "dates.jsonl"
    path.write_text(json.dumps({"text": "Chile hosted talks.", "published_at": when}) + "\n"
                    + json.dumps({"text": "Peru recalled its ambassador.", "published_at": "1900-01-01"}) + "\n")
    bad, good = read_all(path)
    assert (bad.reason, bad.detail) == (Reason.BAD_FIELD, f"published_at {when!r} is before 1900-01-01: a placeholder for no date, "
                                                          "not a publication date")
    assert good.published_at == datetime(1900, 1, 1, tzinfo=UTC)


def test_a_record_with_a_lone_surrogate_in_a_stored_field_is_a_bad_field_and_the_next_record_is_read(tmp_path):
    path = tmp_path / "surrogates.jsonl"
    text = "Chile hosted talks on Monday."
    path.write_text("".join(line + "\n" for line in [
        json.dumps({"text": text, "title": "surrogate \udfff title", "url": "https://news.example/a"}),
        json.dumps({"text": text, "url": "https://news.example/\ud800"}),
        json.dumps({"html": "<p>half \udc00 a character</p>"}),
        json.dumps({"text": text, "title": "a pair \ud83d\ude00 is one character", "author": "\udfff, not read"}),
    ]))
    out = read_all(path)
    assert [(o.reason, o.detail.split(" holds")[0]) for o in out[:3]] == [
        (Reason.BAD_FIELD, "field 'title'"), (Reason.BAD_FIELD, "field 'url'"), (Reason.BAD_FIELD, "field 'html'")]
    assert isinstance(out[3], RawDocument) and out[3].title == "a pair \U0001f600 is one character"


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.txt", b"", Reason.EMPTY),
        ("blank.txt", b"  \n\t\n", Reason.EMPTY),
        ("image.txt", bytes(range(256)) * 20, Reason.BINARY),
        ("nul.html", b"<html>\x00\x00\x00</html>", Reason.BINARY),
        ("data.pdf", b"%PDF-1.4", Reason.UNSUPPORTED_TYPE),
        ("empty.jsonl", b"\n\n", Reason.EMPTY),
    ],
)
def test_bad_files_are_rejected_with_a_reason(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    [out] = read_all(path)
    assert isinstance(out, Rejection)
    assert out.reason == reason and out.stage == "read"
    assert out.url == path.resolve().as_uri() and out.detail


def test_file_over_the_cap_is_rejected_before_it_is_read(tmp_path):
    path = tmp_path / "huge.txt"
    path.write_text("word " * 300)
    [out] = read_all(path, max_bytes=1000)
    assert out.reason == Reason.TOO_LARGE and "1000" in out.detail


def test_unreadable_file_is_rejected(tmp_path):
    path = tmp_path / "locked.txt"
    path.write_text("secret")
    path.chmod(0)
    try:
        with open(path):
            pytest.skip("running as a user who can read anything")
    except PermissionError:
        pass
    [out] = read_all(path)
    assert out.reason == Reason.UNREADABLE


def test_folders_are_read_recursively_in_sorted_order(tmp_path):
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "2.txt").write_text("Two\n\nSecond story.")
    (tmp_path / "a.txt").write_text("One\n\nFirst story.")
    assert [p.name for p in expand_paths([tmp_path])[0]] == ["a.txt", "2.txt"]


def test_links_and_pipes_in_a_folder_are_quarantined_not_followed_nor_dropped(tmp_path):
    outside, folder = tmp_path / "outside", tmp_path / "in"
    outside.mkdir()
    folder.mkdir()
    (outside / "secret.txt").write_text("Secret\n\nOutside the folder.")
    (folder / "story.txt").write_text("Story\n\nInside the folder.")
    (folder / "link.txt").symlink_to(outside / "secret.txt")
    (folder / "dir-link").symlink_to(outside, target_is_directory=True)
    (folder / "broken.txt").symlink_to(tmp_path / "gone.txt")
    os.mkfifo(folder / "pipe.txt")
    files, unread = expand_paths([folder])
    assert [f.name for f in files] == ["story.txt"]
    assert {r.url.rsplit("/", 1)[1]: (r.reason, r.detail.split(";")[0]) for r in unread} == {
        "link.txt": (Reason.UNSUPPORTED_TYPE, "a symbolic link inside an input folder is not followed"),
        "dir-link": (Reason.UNSUPPORTED_TYPE, "a symbolic link inside an input folder is not followed"),
        "broken.txt": (Reason.UNSUPPORTED_TYPE, "a symbolic link inside an input folder is not followed"),
        "pipe.txt": (Reason.UNSUPPORTED_TYPE, "not a regular file (a pipe, socket or device)"),
    }
    assert all(r.url.startswith(folder.resolve().as_uri() + "/") for r in unread)


def test_a_link_named_on_the_command_line_is_read_and_a_named_pipe_is_an_error(tmp_path):
    (tmp_path / "story.txt").write_text("Story\n\nRead through its link.")
    (tmp_path / "link.txt").symlink_to(tmp_path / "story.txt")
    [doc] = read_all(tmp_path / "link.txt")
    assert "Read through its link." in doc.content
    assert doc.location == (tmp_path / "story.txt").resolve().as_uri()  # known by the file it points to
    os.mkfifo(tmp_path / "pipe.txt")
    with pytest.raises(NewseventsError, match=r"not a regular file or folder: .*pipe\.txt"):
        expand_paths([tmp_path / "pipe.txt"])


def test_missing_path_is_an_error_before_anything_is_read(tmp_path):
    with pytest.raises(NewseventsError, match="no such file"):
        expand_paths([tmp_path / "nope.txt"])


def test_files_of_a_folder_named_through_a_link_are_known_by_their_real_path(tmp_path):
    real = tmp_path / "real" / "sub"
    real.mkdir(parents=True)
    (real / "a.txt").write_text("A\n\nFirst.")
    (real.parent / "b.txt").write_text("B\n\nSecond.")
    (tmp_path / "via").symlink_to(tmp_path / "real")
    docs = read_all(tmp_path / "via")
    assert sorted(d.location for d in docs) == sorted(p.resolve().as_uri() for p in (real / "a.txt", real.parent / "b.txt"))
    assert all("/via/" not in d.location for d in docs)
