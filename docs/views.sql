-- Generated from schemas/tables.py by `newsevents docs`; do not edit.
-- The views over a lake every table of which has files, from the folder that holds data/ (DuckDB refuses a
-- glob that matches no file). data/newsevents.duckdb holds them ready, with absolute paths, a table with no
-- file yet (fetches, after a run of local files only) as an empty view of its columns: open that instead.
CREATE OR REPLACE VIEW "fetches" AS
  SELECT "fetch_id", "url", "final_url", "source_name", "status", "error", "content_type", "bytes",
         "body_sha256", "etag", "last_modified", "redirects", "attempts", "elapsed_ms", "fetched_at", "run_id",
         "year", "month"
  FROM read_parquet('data/lake/fetches/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "articles" AS
  SELECT "article_id", "url", "canonical_url", "source_domain", "source_name", "title", "authors",
         "published_at", "language", "text", "text_sha256", "word_count", "tone", "extractor",
         "extractor_version", "input_format", "raw_sha256", "duplicate_of", "ingested_at", "run_id",
         "pipeline_version", "http_content_type", "given_title", "ignored_canonical_url", "year", "month"
  FROM read_parquet('data/lake/articles/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "entities" AS
  SELECT "entity_id", "article_id", "sentence_index", "start_char", "end_char", "text", "label", "entity_key",
         "actor_code", "country_code", "sector", "source", "run_id", "year", "month"
  FROM read_parquet('data/lake/entities/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "event_mentions" AS
  SELECT "event_mention_id", "event_id", "article_id", "sentence_index", "sentence_start_char",
         "sentence_end_char", "sentence", "is_lead", "trigger", "trigger_start_char", "trigger_end_char",
         "cameo_code", "cameo_base", "cameo_root", "quad_class", "goldstein", "plover_type", "plover_mode",
         "plover_context", "actor1_text", "actor1_start_char", "actor1_end_char", "actor1_code",
         "actor1_country", "actor1_sector", "actor2_text", "actor2_start_char", "actor2_end_char",
         "actor2_code", "actor2_country", "actor2_sector", "event_date", "date_precision", "location_name",
         "location_country", "location_lat", "location_lon", "negated", "modality", "attribution",
         "attribution_code", "confidence", "coder_version", "run_id", "year", "month"
  FROM read_parquet('data/lake/event_mentions/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "events" AS
  SELECT "event_id", "event_date", "date_precision", "cameo_code", "cameo_base", "cameo_root", "quad_class",
         "goldstein", "plover_type", "plover_mode", "actor1_code", "actor1_country", "actor1_sector",
         "actor1_name", "actor2_code", "actor2_country", "actor2_sector", "actor2_name", "modality", "negated",
         "location_name", "location_country", "location_lat", "location_lon", "num_mentions", "num_sources",
         "num_articles", "avg_tone", "first_seen_at", "first_source_url", "first_sentence", "updated_at",
         "plover_context", "year", "month"
  FROM read_parquet('data/lake/events/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "quarantine" AS
  SELECT "quarantine_id", "stage", "reason", "url", "detail", "payload_sha256", "at", "run_id",
         "pipeline_version", "year", "month"
  FROM read_parquet('data/lake/quarantine/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "runs" AS
  SELECT "run_id", "flow", "started_at", "finished_at", "status", "error", "params", "counts", "versions",
         "flow_run_id", "year", "month"
  FROM read_parquet('data/lake/runs/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);
