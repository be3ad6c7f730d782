"""Every table newsevents writes, declared once as a pyarrow schema with a description per field."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa

TIMESTAMP = pa.timestamp("us", tz="UTC")


def field(name: str, type_: pa.DataType, description: str, *, nullable: bool = True) -> pa.Field:
    """A pyarrow field carrying its description in the field metadata."""
    return pa.field(name, type_, nullable=nullable, metadata={"description": description})


def description(f: pa.Field) -> str:
    """The description stored on a field ('' when there is none)."""
    return (f.metadata or {}).get(b"description", b"").decode()


@dataclass(frozen=True, kw_only=True)
class Table:
    """A table of the lake: its schema, primary key, partitioning and an example query."""

    name: str
    grain: str
    schema: pa.Schema
    primary_key: tuple[str, ...]
    partition_by: str
    example_sql: str


RUN_ID = field("run_id", pa.string(), "Id of the pipeline run that wrote the row (see `runs`).", nullable=False)

FETCHES = pa.schema(
    [
        field("fetch_id", pa.string(), "Content hash of url and fetched_at; primary key.", nullable=False),
        field("url", pa.string(), "URL as requested (after canonicalisation).", nullable=False),
        field("final_url", pa.string(), "URL after redirects; null when no response arrived."),
        field("source_name", pa.string(), "Name of the feed, sitemap or source list entry that led here."),
        field("status", pa.int32(), "HTTP status code of the last response; null when no response arrived."),
        field("error", pa.string(), "Quarantine reason code when the attempt failed (FETCH_TIMEOUT, ...), else null."),
        field("content_type", pa.string(), "Media type of the response without parameters."),
        field("bytes", pa.int64(), "Size of the (decoded) body in bytes."),
        field("body_sha256", pa.string(), "SHA-256 of the body; the file name under data/raw/."),
        field("etag", pa.string(), "ETag response header, for conditional GET."),
        field("last_modified", pa.string(), "Last-Modified response header, for conditional GET."),
        field("redirects", pa.int32(), "Number of redirects followed."),
        field("attempts", pa.int32(), "Number of tries, retries included."),
        field("elapsed_ms", pa.int64(), "Wall time of the attempt in milliseconds."),
        field("fetched_at", TIMESTAMP, "When the attempt finished (UTC).", nullable=False),
        RUN_ID,
    ]
)

ARTICLES = pa.schema(
    [
        field("article_id", pa.string(), "Hash of the canonical URL (or of the text when there is no URL); primary key.", nullable=False),
        field("url", pa.string(), "Where the article was read: http(s) URL or file:// URL of a local file (with #line=N for JSONL).", nullable=False),
        field("canonical_url", pa.string(), "Canonical URL without tracking parameters and fragment: the page's own link rel=canonical or og:url when it is on the site of the URL the page was read from (fetched page, WARC record's target, JSONL record's url) or when the page is a local file, else that URL."),
        field("source_domain", pa.string(), "Registered host of the canonical URL, without www., in ASCII (an international name as IDNA xn--); null for local files."),
        field("source_name", pa.string(), "Site name from the page metadata or the source list."),
        field("title", pa.string(), "Headline without the site-name suffix."),
        field("authors", pa.list_(pa.string()), "Author names, in page order."),
        field("published_at", TIMESTAMP, "Publication time (UTC): the page's time, else the time the input came with (feed, sitemap, JSONL record) when within a day of the page's day, else the page's day, else the input's day or --published; never later than the run that read it nor before 1900 (a page's, feed's or sitemap's such date is ignored, a JSONL record's is a BAD_FIELD)."),
        field("language", pa.string(), "ISO 639-1 language code detected on the text.", nullable=False),
        field("text", pa.string(), "Main text, paragraphs separated by a blank line; every offset in other tables indexes this string.", nullable=False),
        field("text_sha256", pa.string(), "SHA-256 of the normalised text (case and white space folded); equal hashes are duplicates.", nullable=False),
        field("word_count", pa.int32(), "Number of words in text.", nullable=False),
        field("tone", pa.float32(), "Tone as GDELT defines it: (positive - negative words) / words x 100, from the project's lexicon."),
        field("extractor", pa.string(), "What made text from the input: trafilatura (HTML) or plaintext (text files and JSONL records' text).", nullable=False),
        field("extractor_version", pa.string(), "Version of the extractor.", nullable=False),
        field("input_format", pa.string(), "Input kind: txt, html, jsonl, warc or web.", nullable=False),
        field("raw_sha256", pa.string(), "SHA-256 of the raw input bytes (the page or the JSONL line).", nullable=False),
        field("duplicate_of", pa.string(), "article_id of the first article with the same text_sha256; null for an original."),
        field("ingested_at", TIMESTAMP, "When the article was written to the lake (UTC).", nullable=False),
        RUN_ID,
        field("pipeline_version", pa.string(), "Versions of newsevents, trafilatura, the spaCy model, the event coder and the tone words that made the row (the last two with a hash of their tables); `newsevents reprocess` redoes older ones."),
        field("http_content_type", pa.string(), "HTTP Content-Type header the body was decoded with, parameters included (at most 200 characters; its charset is read again on reprocess); null for local files, JSONL records and rows written before it was kept."),
        field("given_title", pa.string(), "Title given with the input rather than found in it (a feed or sitemap item's title, a JSONL record's title), preferred to the page's headline and given again on reprocess; null when none was given or for rows written before it was kept."),
        field("ignored_canonical_url", pa.string(), "Canonical URL the page declared (link rel=canonical or og:url) on another site than the URL it was read from (registrable domain by the public suffix list, else host), so not trusted: the row keeps its own URL; null when none was ignored, for local files (whose declared canonical is kept) and for rows written before it was kept."),
    ]
)

ENTITIES = pa.schema(
    [
        field("entity_id", pa.string(), "Hash of article_id, start_char and end_char; primary key.", nullable=False),
        field("article_id", pa.string(), "Article the mention is in.", nullable=False),
        field("sentence_index", pa.int32(), "0-based index of the sentence in the article.", nullable=False),
        field("start_char", pa.int32(), "Offset of the first character in articles.text.", nullable=False),
        field("end_char", pa.int32(), "Offset after the last character: text[start_char:end_char] == text.", nullable=False),
        field("text", pa.string(), "Surface text of the mention.", nullable=False),
        field("label", pa.string(), "Entity type: spaCy's labels (PERSON, ORG, GPE, NORP, LOC, DATE, MONEY, ...).", nullable=False),
        field("entity_key", pa.string(), "Normalised key for grouping mentions of one entity (lower case, no article, canonical name when known).", nullable=False),
        field("actor_code", pa.string(), "CAMEO-style actor code (country + sector, e.g. USAGOV; IGO codes like NATO) when resolved."),
        field("country_code", pa.string(), "ISO 3166-1 alpha-3 country the entity is, belongs to or lies in."),
        field("sector", pa.string(), "CAMEO sector code: GOV, MIL, BUS, REB, IGO, MED, ..."),
        field("source", pa.string(), "What produced the mention: model (spaCy's recogniser) or pattern (the project's entity patterns).", nullable=False),
        RUN_ID,
    ]
)

EVENT_MENTIONS = pa.schema(
    [
        field("event_mention_id", pa.string(), "Hash of article_id, sentence_index, trigger offsets and code; primary key.", nullable=False),
        field("event_id", pa.string(), "The distinct event (see `events`) this mention is grouped into.", nullable=False),
        field("article_id", pa.string(), "Article the mention is in.", nullable=False),
        field("sentence_index", pa.int32(), "0-based index of the sentence in the article.", nullable=False),
        field("sentence_start_char", pa.int32(), "Offset of the sentence in articles.text.", nullable=False),
        field("sentence_end_char", pa.int32(), "End offset of the sentence in articles.text.", nullable=False),
        field("sentence", pa.string(), "Sentence text (evidence).", nullable=False),
        field("is_lead", pa.bool_(), "True when the sentence is among the first three of the article (GDELT's lead).", nullable=False),
        field("trigger", pa.string(), "Words that triggered the code (verb, particle, object noun).", nullable=False),
        field("trigger_start_char", pa.int32(), "Offset of the trigger's first word in articles.text.", nullable=False),
        field("trigger_end_char", pa.int32(), "End offset of the trigger's last word in articles.text.", nullable=False),
        field("cameo_code", pa.string(), "CAMEO event code, 2-4 digits as a string (leading zeros kept: '036').", nullable=False),
        field("cameo_base", pa.string(), "First three digits of cameo_code (the base code).", nullable=False),
        field("cameo_root", pa.string(), "First two digits of cameo_code (one of the 20 root categories).", nullable=False),
        field("quad_class", pa.int8(), "1 verbal cooperation, 2 material cooperation, 3 verbal conflict, 4 material conflict.", nullable=False),
        field("goldstein", pa.float32(), "Goldstein scale value of cameo_code (GDELT's table), -10 to +10.", nullable=False),
        field("plover_type", pa.string(), "PLOVER event type (AGREE, CONSULT, SANCTION, ASSAULT, ...).", nullable=False),
        field("plover_mode", pa.string(), "PLOVER mode of the type when the CAMEO code implies one."),
        field("plover_context", pa.string(), "PLOVER context (military, economic, diplomatic, ...) when the CAMEO code implies one."),
        field("actor1_text", pa.string(), "Source actor as written, from its first naming word: no count, determiner or person's title ('al-Shabaab fighters' in '15 al-Shabaab fighters'), so names group."),
        field("actor1_start_char", pa.int32(), "Offset of the source actor in articles.text."),
        field("actor1_end_char", pa.int32(), "End offset of the source actor in articles.text."),
        field("actor1_code", pa.string(), "Source actor code (country or non-state code + sector, e.g. RUSGOV, IGO)."),
        field("actor1_country", pa.string(), "Source actor's ISO 3166-1 alpha-3 country."),
        field("actor1_sector", pa.string(), "Source actor's sector (GOV, MIL, BUS, ...)."),
        field("actor2_text", pa.string(), "Target actor as written, from its first naming word (as actor1_text)."),
        field("actor2_start_char", pa.int32(), "Offset of the target actor in articles.text."),
        field("actor2_end_char", pa.int32(), "End offset of the target actor in articles.text."),
        field("actor2_code", pa.string(), "Target actor code."),
        field("actor2_country", pa.string(), "Target actor's ISO 3166-1 alpha-3 country."),
        field("actor2_sector", pa.string(), "Target actor's sector."),
        field("event_date", pa.date32(), "Date of the event, resolved against the publication date ('in July', 'on Wednesday'), or against the day of the run that made the row when the article has none (a .txt without --published); a month or year precision date is the first day of its month or year.", nullable=False),
        field("date_precision", pa.string(), "Precision of event_date: day, month or year.", nullable=False),
        field("location_name", pa.string(), "Place of the event as written."),
        field("location_country", pa.string(), "ISO 3166-1 alpha-3 country of the place."),
        field("location_lat", pa.float64(), "Latitude of the place (offline gazetteer)."),
        field("location_lon", pa.float64(), "Longitude of the place (offline gazetteer)."),
        field("negated", pa.bool_(), "True when the sentence says the event did not happen ('did not attack').", nullable=False),
        field("modality", pa.string(), "asserted, intended, threatened, hypothetical or denied.", nullable=False),
        field("attribution", pa.string(), "Who is quoted as saying it ('X said that ...'), as written."),
        field("attribution_code", pa.string(), "Actor code of the attribution source."),
        field("confidence", pa.float32(), "Coder's confidence in the mention, 0 to 1.", nullable=False),
        field("coder_version", pa.string(), "Version of the event coder and its dictionaries.", nullable=False),
        RUN_ID,
    ]
)

EVENTS = pa.schema(
    [
        field("event_id", pa.string(), "Hash of dyad, base code, date and place; stable as mentions are added; primary key.", nullable=False),
        field("event_date", pa.date32(), "Date of the event (earliest mention).", nullable=False),
        field("date_precision", pa.string(), "Finest precision among the mentions: day, month or year.", nullable=False),
        field("cameo_code", pa.string(), "Most frequent CAMEO code among the mentions.", nullable=False),
        field("cameo_base", pa.string(), "First three digits of cameo_code.", nullable=False),
        field("cameo_root", pa.string(), "First two digits of cameo_code.", nullable=False),
        field("quad_class", pa.int8(), "QuadClass of cameo_code (1-4).", nullable=False),
        field("goldstein", pa.float32(), "Goldstein value of cameo_code.", nullable=False),
        field("plover_type", pa.string(), "PLOVER type of cameo_code.", nullable=False),
        field("plover_mode", pa.string(), "PLOVER mode of cameo_code."),
        field("actor1_code", pa.string(), "Source actor code."),
        field("actor1_country", pa.string(), "Source actor's country (ISO alpha-3)."),
        field("actor1_sector", pa.string(), "Source actor's sector."),
        field("actor1_name", pa.string(), "Most frequent surface text of the source actor (ties: the alphabetically first)."),
        field("actor2_code", pa.string(), "Target actor code."),
        field("actor2_country", pa.string(), "Target actor's country (ISO alpha-3)."),
        field("actor2_sector", pa.string(), "Target actor's sector."),
        field("actor2_name", pa.string(), "Most frequent surface text of the target actor (ties: the alphabetically first)."),
        field("modality", pa.string(), "Most frequent modality among the mentions (ties: the alphabetically first).", nullable=False),
        field("negated", pa.bool_(), "True when modality is denied: the mentions that deny the event outnumber each other modality (ties as for modality).", nullable=False),
        field("location_name", pa.string(), "Most frequent place named by the mentions (ties: the alphabetically first)."),
        field("location_country", pa.string(), "Country of the place (ISO alpha-3)."),
        field("location_lat", pa.float64(), "Latitude of location_name, from its earliest-ingested mention that has coordinates."),
        field("location_lon", pa.float64(), "Longitude of the place, from the same mention as location_lat."),
        field("num_mentions", pa.int32(), "Number of mentions grouped here, counted once per article that carries them: an exact duplicate "
              "(articles.duplicate_of, not coded again) counts its original's event_mentions rows again, as GDELT counts each document.", nullable=False),
        field("num_sources", pa.int32(), "Number of distinct source domains (or local sources) reporting it, the duplicates' own domains included.", nullable=False),
        field("num_articles", pa.int32(), "Number of distinct articles reporting it, each exact duplicate of one of them included (a wire story ten sites carry counts 10).", nullable=False),
        field("avg_tone", pa.float32(), "Average tone of the articles reporting it (duplicates included: one value per article)."),
        field("first_seen_at", TIMESTAMP, "When the event was first seen: its first mention's ingestion (UTC); a rollup keeps the earlier time when an article that showed it is replaced or reprocessed.", nullable=False),
        field("first_source_url", pa.string(), "Link to the first article that reported it: its canonical web URL, else the URL it was read from (articles.url).", nullable=False),
        field("first_sentence", pa.string(), "Evidence: the sentence of the earliest mention.", nullable=False),
        field("updated_at", TIMESTAMP, "When this rollup row was recomputed (UTC).", nullable=False),
        field("plover_context", pa.string(), "PLOVER context of cameo_code (military, economic, ...) when it implies one, as in "
              "event_mentions; null for rows written before it was kept."),
    ]
)

QUARANTINE = pa.schema(
    [
        field("quarantine_id", pa.string(), "Hash of stage, reason, location and payload (and of pipeline_version for a refusal for good); the same rejection is stored once.", nullable=False),
        field("stage", pa.string(), "Stage that rejected the input: read, fetch, clean, dedupe (a second version of an article in one run), nlp, or reprocess (the raw bytes of a stored article missing or unreadable).", nullable=False),
        field("reason", pa.string(), "Stable reason code (see docs/tables.md#reason-codes).", nullable=False),
        field("url", pa.string(), "URL or file:// location of the rejected input."),
        field("detail", pa.string(), "One-line human-readable explanation.", nullable=False),
        field("payload_sha256", pa.string(), "SHA-256 of the rejected bytes, when there were any."),
        field("at", TIMESTAMP, 'When the rejection was first stored (UTC; the same rejection in a later run adds no row: '
              '`fetches` has every attempt). AT is an SQL keyword: quote the name, as in ORDER BY "at" DESC.', nullable=False),
        RUN_ID,
        field("pipeline_version", pa.string(), "Versions of the pipeline that refused the input (as articles.pipeline_version); "
              "a URL refused for good (NOT_HTML, TOO_LARGE, BINARY, UNDECODABLE, EXTRACT_EMPTY, EXTRACT_FAILED, NOT_ENGLISH, "
              "NLP_FAILED, GONE) by the current version is not fetched again. Null for rows written before the column was added."),
    ]
)

RUNS = pa.schema(
    [
        field("run_id", pa.string(), "Id of the run (UTC start time plus a random suffix); primary key.", nullable=False),
        field("flow", pa.string(), "Flow that ran: ingest (a backfill day is one) or reprocess.", nullable=False),
        field("started_at", TIMESTAMP, "Start of the run (UTC).", nullable=False),
        field("finished_at", TIMESTAMP, "End of the run (UTC).", nullable=False),
        field("status", pa.string(), "completed, failed, or interrupted (Ctrl-C or SIGTERM); a run that stopped "
              "early has the counts it reached.", nullable=False),
        field("error", pa.string(), "Why a run that did not complete stopped, in one line; null when it completed."),
        field("params", pa.string(), "Run parameters as JSON; `deployment` names the Prefect deployment of a "
              "scheduled run (`newsevents serve`), null for a run started by hand.", nullable=False),
        field("counts", pa.map_(pa.string(), pa.int64()), "Counts per stage: inputs, articles, duplicates, unchanged, refused (URLs not fetched because the current pipeline version refused them for good before), quarantined, replaced (stored articles processed again; the duplicates of an original whose text changed are read again from data/raw/ and count here and among the inputs), entities, event_mentions, events (rows of `events` in the event months the run touched, after its rollup: earlier runs' events included), fetches, undated (backfill: listed articles without a date, among those read before their source had its max_articles), ...", nullable=False),
        field("versions", pa.map_(pa.string(), pa.string()), "Versions of newsevents, the extractor, the spaCy model and the coder.", nullable=False),
        field("flow_run_id", pa.string(), "Prefect's flow run id (its page in the UI: /runs/flow-run/<id>); null for rows "
              "written before the column was added."),
    ]
)

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        Table(
            name="fetches",
            grain="one row per fetch attempt",
            schema=FETCHES,
            primary_key=("fetch_id",),
            partition_by="fetched_at",
            example_sql="SELECT status, error, count(*) FROM fetches GROUP BY ALL ORDER BY 3 DESC",
        ),
        Table(
            name="articles",
            grain="one row per distinct article (duplicates carry duplicate_of)",
            schema=ARTICLES,
            primary_key=("article_id",),
            partition_by="published_at",
            example_sql="SELECT source_domain, count(*) FROM articles WHERE duplicate_of IS NULL GROUP BY 1 ORDER BY 2 DESC",
        ),
        Table(
            name="entities",
            grain="one row per entity mention",
            schema=ENTITIES,
            primary_key=("entity_id",),
            partition_by="published_at",
            example_sql="SELECT entity_key, label, country_code, count(*) AS n FROM entities GROUP BY ALL ORDER BY n DESC LIMIT 20",
        ),
        Table(
            name="event_mentions",
            grain="one row per coded event in one sentence",
            schema=EVENT_MENTIONS,
            primary_key=("event_mention_id",),
            partition_by="published_at",
            example_sql="SELECT actor1_code, cameo_code, actor2_code, modality, sentence FROM event_mentions WHERE actor2_country = 'TUR'",
        ),
        Table(
            name="events",
            grain="one row per distinct real-world event, deduplicated across sentences and articles",
            schema=EVENTS,
            primary_key=("event_id",),
            partition_by="event_date",
            example_sql="SELECT event_date, cameo_root, count(*) FROM events WHERE actor1_country = 'USA' GROUP BY ALL ORDER BY 1",
        ),
        Table(
            name="quarantine",
            grain="one row per rejected input or record (refused again with other bytes or detail, or for good by another "
                  "pipeline version, another row: count(DISTINCT url) counts inputs)",
            schema=QUARANTINE,
            primary_key=("quarantine_id",),
            partition_by="at",
            example_sql='SELECT stage, reason, count(DISTINCT url) AS inputs, max("at") AS latest FROM quarantine GROUP BY ALL ORDER BY inputs DESC',
        ),
        Table(
            name="runs",
            grain="one row per pipeline run",
            schema=RUNS,
            primary_key=("run_id",),
            partition_by="started_at",
            example_sql="SELECT run_id, status, counts['articles'] AS articles, finished_at - started_at AS took FROM runs ORDER BY started_at DESC",
        ),
    )
}
