-- Generated from schemas/tables.py by `newsevents docs`; do not edit.
CREATE OR REPLACE VIEW "fetches" AS SELECT * FROM read_parquet('data/lake/fetches/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "articles" AS SELECT * FROM read_parquet('data/lake/articles/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "entities" AS SELECT * FROM read_parquet('data/lake/entities/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "event_mentions" AS SELECT * FROM read_parquet('data/lake/event_mentions/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "events" AS SELECT * FROM read_parquet('data/lake/events/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "quarantine" AS SELECT * FROM read_parquet('data/lake/quarantine/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);

CREATE OR REPLACE VIEW "runs" AS SELECT * FROM read_parquet('data/lake/runs/year=*/month=*/*.parquet', hive_partitioning = true, hive_types = {'year': INTEGER, 'month': INTEGER}, union_by_name = true);
