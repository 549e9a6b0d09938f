"""PostgreSQL: person_name_gram, each name's trigrams in people's id order, for name searches

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-02 11:30:00

A derived index kept by triggers, outside the models like the other search objects (see
:mod:`hrsys.people.search`); made here for databases created before it, and filled from ``person``.
Nothing new on SQLite, whose FTS5 trigram index already reads people in id order.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


# Written out here, not imported: a migration imports nothing from hrsys.
GRAM_DDL = ['CREATE TABLE IF NOT EXISTS person_name_gram (gram text COLLATE "C" NOT NULL, person_id integer NOT NULL, '
 'pos smallint NOT NULL, CONSTRAINT person_name_gram_pkey PRIMARY KEY (gram, person_id, pos))',
 'CREATE OR REPLACE FUNCTION person_name_gram_ins() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO '
 'person_name_gram (gram, person_id, pos) SELECT substr(n.search_text, i, 3), n.id, i FROM new_rows n, '
 'generate_series(1, length(n.search_text) - 2) i; RETURN NULL; END $$',
 'CREATE OR REPLACE FUNCTION person_name_gram_del() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM '
 'person_name_gram g USING generate_series(1, length(OLD.search_text) - 2) i WHERE g.gram = '
 'substr(OLD.search_text, i, 3) AND g.person_id = OLD.id AND g.pos = i; RETURN NULL; END $$',
 'CREATE OR REPLACE FUNCTION person_name_gram_upd() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN DELETE FROM '
 'person_name_gram g USING generate_series(1, length(OLD.search_text) - 2) i WHERE g.gram = '
 'substr(OLD.search_text, i, 3) AND g.person_id = OLD.id AND g.pos = i; INSERT INTO person_name_gram (gram, '
 'person_id, pos) SELECT substr(NEW.search_text, i, 3), NEW.id, i FROM generate_series(1, '
 'length(NEW.search_text) - 2) i; RETURN NULL; END $$',
 'CREATE OR REPLACE FUNCTION person_name_gram_trunc() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN TRUNCATE '
 'person_name_gram; RETURN NULL; END $$',
 'DROP TRIGGER IF EXISTS person_name_gram_ai ON person',
 'CREATE TRIGGER person_name_gram_ai AFTER INSERT ON person REFERENCING NEW TABLE AS new_rows FOR EACH '
 'STATEMENT EXECUTE FUNCTION person_name_gram_ins()',
 'DROP TRIGGER IF EXISTS person_name_gram_ad ON person',
 'CREATE TRIGGER person_name_gram_ad AFTER DELETE ON person FOR EACH ROW EXECUTE FUNCTION '
 'person_name_gram_del()',
 'DROP TRIGGER IF EXISTS person_name_gram_au ON person',
 'CREATE TRIGGER person_name_gram_au AFTER UPDATE ON person FOR EACH ROW WHEN (OLD.search_text IS DISTINCT '
 'FROM NEW.search_text) EXECUTE FUNCTION person_name_gram_upd()',
 'DROP TRIGGER IF EXISTS person_name_gram_at ON person',
 'CREATE TRIGGER person_name_gram_at AFTER TRUNCATE ON person FOR EACH STATEMENT EXECUTE FUNCTION '
 'person_name_gram_trunc()']

# Filled once from the people already there; the key is built after the rows (about 20 s for 500,000 people).
GRAM_FILL = ['TRUNCATE person_name_gram',
 'ALTER TABLE person_name_gram DROP CONSTRAINT person_name_gram_pkey',
 'INSERT INTO person_name_gram (gram, person_id, pos) SELECT substr(p.search_text, i, 3), p.id, i FROM '
 'person p, generate_series(1, length(p.search_text) - 2) i',
 'ALTER TABLE person_name_gram ADD CONSTRAINT person_name_gram_pkey PRIMARY KEY (gram, person_id, pos)']

GRAM_DROP = ['DROP TRIGGER IF EXISTS person_name_gram_at ON person',
 'DROP TRIGGER IF EXISTS person_name_gram_au ON person',
 'DROP TRIGGER IF EXISTS person_name_gram_ad ON person',
 'DROP TRIGGER IF EXISTS person_name_gram_ai ON person',
 'DROP FUNCTION IF EXISTS person_name_gram_trunc()',
 'DROP FUNCTION IF EXISTS person_name_gram_upd()',
 'DROP FUNCTION IF EXISTS person_name_gram_del()',
 'DROP FUNCTION IF EXISTS person_name_gram_ins()',
 'DROP TABLE IF EXISTS person_name_gram']


def upgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name != "postgresql":
        return
    made = conn.exec_driver_sql("SELECT to_regclass('person_name_gram') IS NULL").scalar()
    for stmt in GRAM_DDL:
        conn.exec_driver_sql(stmt)
    if made:
        for stmt in GRAM_FILL:
            conn.exec_driver_sql(stmt)


def downgrade() -> None:
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for stmt in GRAM_DROP:
            conn.exec_driver_sql(stmt)
