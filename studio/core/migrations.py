"""The store's schema, one numbered step at a time (`PRAGMA user_version` says how far a file has
come). A change is a new entry at the end, never an edit: files in the wild have run the old ones."""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE responses (
        id INTEGER PRIMARY KEY,
        at REAL NOT NULL,
        day TEXT NOT NULL,
        model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cache_read_tokens INTEGER NOT NULL,
        cache_write_5m_tokens INTEGER NOT NULL,
        cache_write_1h_tokens INTEGER NOT NULL,
        usd REAL,
        estimated INTEGER NOT NULL DEFAULT 0
    );
    CREATE INDEX responses_day ON responses(day);
    """,
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started REAL NOT NULL,
        updated REAL NOT NULL,
        title TEXT NOT NULL DEFAULT '',
        draft TEXT,
        unsent TEXT NOT NULL DEFAULT ''
    );
    CREATE TABLE messages (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        role TEXT NOT NULL,
        content TEXT NOT NULL,
        model TEXT,
        reply INTEGER,
        PRIMARY KEY (session_id, position)
    );
    ALTER TABLE responses ADD COLUMN session_id INTEGER;
    ALTER TABLE responses ADD COLUMN reply INTEGER;
    CREATE INDEX responses_session ON responses(session_id);
    """,
    # A reply's text as it streams, and how a reply ended when that matters on reopening: a
    # failed or interrupted round's text is shown but never sent to the API again, so it lives
    # apart from `messages` (which is exactly what the API sees). `position` is where the round
    # stood in the conversation; status is streaming (studio died if it is still that), failed
    # or stopped.
    """
    CREATE TABLE partials (
        id TEXT PRIMARY KEY,
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        model TEXT,
        reply INTEGER,
        text TEXT NOT NULL,
        status TEXT NOT NULL,
        at REAL NOT NULL
    );
    CREATE INDEX partials_session ON partials(session_id);
    """,
    # The draft a tool call saved or edited, as data: a reopened chat titles the call by it (the
    # result's sentence is written for Claude, not to be parsed back). Kept beside `messages`,
    # whose content blocks are sent to the API as they are. A row only for a call that touched a
    # draft; conversations kept before this have none, and show the tool's plain name.
    """
    CREATE TABLE tool_calls (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        tool_use_id TEXT NOT NULL,
        kind TEXT NOT NULL,
        draft TEXT,
        PRIMARY KEY (session_id, tool_use_id)
    );
    """,
    # Batch jobs (studio batch, the Batches screen): a job is one run over many documents, sent
    # as one or more API batches (chunks); each document is an item, mapped back by custom_id.
    # Kept so a restart, a kill or a lost connection while waiting loses nothing. The document
    # text is kept with its item, so a retry resends exactly what failed.
    """
    CREATE TABLE batch_jobs (
        id INTEGER PRIMARY KEY,
        created REAL NOT NULL,
        name TEXT NOT NULL,
        model TEXT NOT NULL,
        instruction TEXT NOT NULL,
        max_tokens INTEGER NOT NULL,
        out_dir TEXT NOT NULL,
        stage TEXT NOT NULL,
        question TEXT,
        parent_id INTEGER REFERENCES batch_jobs(id),
        final_model TEXT,
        final_max_tokens INTEGER,
        status TEXT NOT NULL,
        ended REAL
    );
    CREATE TABLE batch_chunks (
        job_id INTEGER NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
        position INTEGER NOT NULL,
        batch_id TEXT,
        status TEXT NOT NULL,
        PRIMARY KEY (job_id, position)
    );
    CREATE TABLE batch_items (
        job_id INTEGER NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
        custom_id TEXT NOT NULL,
        chunk INTEGER NOT NULL,
        source TEXT NOT NULL,
        name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        text TEXT NOT NULL,
        state TEXT NOT NULL,
        usage TEXT,
        usd REAL,
        full_usd REAL,
        result_path TEXT,
        error TEXT,
        answer TEXT,
        PRIMARY KEY (job_id, custom_id)
    );
    """,
    # Full-text search (studio search, the search box in F5). `message_text` holds the text blocks
    # of every kept message (the writer's and Claude's words: not the draft documents the studio
    # adds, not tool calls or results), kept in step with `messages` by triggers, so no writer
    # can forget it; its rowid is the message row's. `draft_texts` keeps the last text of every
    # draft the studio saved (by its real path), indexed by `draft_search`. The guards (json_valid,
    # objects only) keep a message the index cannot read from ever failing to be stored.
    """
    CREATE VIRTUAL TABLE message_text USING fts5(
        text, session_id UNINDEXED, position UNINDEXED, role UNINDEXED,
        tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER messages_search_insert AFTER INSERT ON messages BEGIN
        INSERT INTO message_text (rowid, text, session_id, position, role)
        SELECT new.rowid, group_concat(json_extract(b.value, '$.text'), char(10) || char(10)),
               new.session_id, new.position, new.role
        FROM json_each(CASE WHEN json_valid(new.content) AND json_type(new.content) = 'array'
                            THEN new.content ELSE '[]' END) AS b
        WHERE CASE WHEN b.type = 'object' THEN json_extract(b.value, '$.type') END = 'text'
        HAVING count(*) > 0;
    END;
    CREATE TRIGGER messages_search_delete AFTER DELETE ON messages BEGIN
        DELETE FROM message_text WHERE rowid = old.rowid;
    END;
    CREATE TRIGGER messages_search_update AFTER UPDATE ON messages BEGIN
        DELETE FROM message_text WHERE rowid = old.rowid;
        INSERT INTO message_text (rowid, text, session_id, position, role)
        SELECT new.rowid, group_concat(json_extract(b.value, '$.text'), char(10) || char(10)),
               new.session_id, new.position, new.role
        FROM json_each(CASE WHEN json_valid(new.content) AND json_type(new.content) = 'array'
                            THEN new.content ELSE '[]' END) AS b
        WHERE CASE WHEN b.type = 'object' THEN json_extract(b.value, '$.type') END = 'text'
        HAVING count(*) > 0;
    END;
    INSERT INTO message_text (rowid, text, session_id, position, role)
    SELECT m.rowid, group_concat(json_extract(b.value, '$.text'), char(10) || char(10)),
           m.session_id, m.position, m.role
    FROM messages AS m,
         json_each(CASE WHEN json_valid(m.content) AND json_type(m.content) = 'array'
                        THEN m.content ELSE '[]' END) AS b
    WHERE CASE WHEN b.type = 'object' THEN json_extract(b.value, '$.type') END = 'text'
    GROUP BY m.rowid;
    CREATE TABLE draft_texts (
        path TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        text TEXT NOT NULL,
        saved REAL NOT NULL,
        session_id INTEGER
    );
    CREATE INDEX draft_texts_name ON draft_texts(name);
    CREATE VIRTUAL TABLE draft_search USING fts5(
        name, text, content = 'draft_texts',
        tokenize = 'porter unicode61 remove_diacritics 2'
    );
    CREATE TRIGGER draft_texts_insert AFTER INSERT ON draft_texts BEGIN
        INSERT INTO draft_search (rowid, name, text) VALUES (new.rowid, new.name, new.text);
    END;
    CREATE TRIGGER draft_texts_delete AFTER DELETE ON draft_texts BEGIN
        INSERT INTO draft_search (draft_search, rowid, name, text)
        VALUES ('delete', old.rowid, old.name, old.text);
    END;
    CREATE TRIGGER draft_texts_update AFTER UPDATE ON draft_texts BEGIN
        INSERT INTO draft_search (draft_search, rowid, name, text)
        VALUES ('delete', old.rowid, old.name, old.text);
        INSERT INTO draft_search (rowid, name, text) VALUES (new.rowid, new.name, new.text);
    END;
    """,
    # Conversation titles made by a cheap model after the first reply. `named` is that title
    # ('' until there is one); `title` stays the writer's first message, which save_messages keeps
    # in step. A response's `purpose` says what it paid for: a reply, or a title (counted in every
    # total and budget, never numbered as a reply).
    """
    ALTER TABLE sessions ADD COLUMN named TEXT NOT NULL DEFAULT '';
    ALTER TABLE responses ADD COLUMN purpose TEXT NOT NULL DEFAULT 'reply';
    """,
)
