import { Migrator, sql, type Kysely, type Migration, type MigrationProvider } from "kysely";

type Dialect = "sqlite" | "postgres";

/**
 * Migrations are code, named in order; each must run on SQLite and PostgreSQL alike.
 * Column types differ only where the dialects do:
 * - `text`: on PostgreSQL `COLLATE "C"`, so comparisons and ORDER BY go by bytes (code
 *   points) as SQLite's BINARY collation does, whatever the database's locale;
 * - `int`: SQLite's INTEGER is 64-bit, PostgreSQL's `integer` is not, so `bigint` there
 *   (read back as numbers: see `openPostgres`).
 */
function migrations(dialect: Dialect): Record<string, Migration> {
  const autoId = dialect === "sqlite" ? "integer" : "bigserial";
  const text = dialect === "sqlite" ? "text" : sql`text COLLATE "C"`;
  const int = dialect === "sqlite" ? "integer" : "bigint";
  return {
    "0001-initial": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("organizations")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable("api_keys")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("organization_id", text, (c) => c.references("organizations.id").onDelete("cascade"))
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("key_hash", text, (c) => c.notNull().unique())
          .addColumn("key_prefix", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("revoked_at", text)
          .execute();

        await db.schema
          .createTable("workflows")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("organization_id", text)
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("kind", text, (c) => c.notNull())
          .addColumn("file_path", text, (c) => c.notNull())
          .addColumn("export_name", text, (c) => c.notNull())
          .addColumn("settings", text, (c) => c.notNull())
          .addColumn("params_schema", text, (c) => c.notNull())
          .addColumn("source_hash", text, (c) => c.notNull())
          .addColumn("module_path", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .execute();
        await db.schema.createIndex("workflows_name").on("workflows").columns(["name"]).execute();

        await db.schema
          .createTable("workflow_files")
          .addColumn("path", text, (c) => c.primaryKey())
          .addColumn("organization_id", text)
          .addColumn("source_hash", text, (c) => c.notNull())
          .addColumn("module_path", text, (c) => c.notNull())
          .addColumn("inputs", text, (c) => c.notNull())
          .addColumn("definitions", text, (c) => c.notNull())
          .addColumn("errors", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable("executions")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("workflow_id", text)
          .addColumn("workflow_name", text, (c) => c.notNull())
          .addColumn("organization_id", text)
          .addColumn("user_id", text)
          .addColumn("trigger", text, (c) => c.notNull())
          .addColumn("status", text, (c) => c.notNull())
          .addColumn("input", text)
          .addColumn("result", text)
          .addColumn("error", text)
          .addColumn("error_type", text)
          .addColumn("error_stack", text)
          .addColumn("validation_errors", text)
          .addColumn("variables", text)
          .addColumn("duration_ms", int)
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("started_at", text)
          .addColumn("completed_at", text)
          .addColumn("attempt", int, (c) => c.notNull())
          .addColumn("attempts", text, (c) => c.notNull())
          .addColumn("parent_id", text)
          .addColumn("tokens_used", int, (c) => c.notNull().defaultTo(0))
          .addColumn("time_saved", "double precision", (c) => c.notNull().defaultTo(0))
          .addColumn("value", "double precision", (c) => c.notNull().defaultTo(0))
          .addColumn("principal", text, (c) => c.notNull())
          .execute();
        await db.schema.createIndex("executions_org_created").on("executions").columns(["organization_id", "created_at"]).execute();
        await db.schema.createIndex("executions_created").on("executions").columns(["created_at"]).execute();
        await db.schema.createIndex("executions_status").on("executions").columns(["status"]).execute();

        await db.schema
          .createTable("execution_logs")
          .addColumn("execution_id", text, (c) => c.notNull())
          .addColumn("seq", int, (c) => c.notNull())
          .addColumn("level", text, (c) => c.notNull())
          .addColumn("message", text, (c) => c.notNull())
          .addColumn("ts", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("execution_logs_pk", ["execution_id", "seq"])
          .execute();

        await db.schema
          .createTable("jobs")
          .addColumn("id", sql.raw(autoId), (c) => (dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn("execution_id", text, (c) => c.notNull().unique())
          .addColumn("run_at", text, (c) => c.notNull())
          .addColumn("locked_by", text)
          .addColumn("locked_at", text)
          .addColumn("created_at", text, (c) => c.notNull())
          .execute();
        await db.schema.createIndex("jobs_run_at").on("jobs").columns(["locked_by", "run_at"]).execute();
      },
    },
    "0002-config": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("config_values")
          .addColumn("scope", text, (c) => c.notNull()) // an organization id, or "global"
          .addColumn("key", text, (c) => c.notNull())
          .addColumn("type", text, (c) => c.notNull())
          .addColumn("value", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("config_values_pk", ["scope", "key"])
          .execute();
      },
    },
    "0003-tables": {
      async up(db: Kysely<unknown>) {
        // One generic document store: a row per user table, a row per document (JSON text).
        await db.schema
          .createTable("tables")
          .addColumn("scope", text, (c) => c.notNull()) // an organization id, or "global"
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("tables_pk", ["scope", "name"])
          .execute();

        await db.schema
          .createTable("table_documents")
          .addColumn("scope", text, (c) => c.notNull())
          .addColumn("table_name", text, (c) => c.notNull())
          .addColumn("id", text, (c) => c.notNull())
          .addColumn("data", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("table_documents_pk", ["scope", "table_name", "id"])
          .addForeignKeyConstraint("table_documents_table_fk", ["scope", "table_name"], "tables", ["scope", "name"], (fk) => fk.onDelete("cascade"))
          .execute();
        // The default order of a query: insertion time, then id.
        await db.schema.createIndex("table_documents_created").on("table_documents").columns(["scope", "table_name", "created_at", "id"]).execute();
      },
    },
    "0004-triggers": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("endpoint_keys")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("scope", text, (c) => c.notNull()) // the organization runs act in, or "global"
          .addColumn("workflow_id", text) // null = the scope's global endpoint key
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("key_hash", text, (c) => c.notNull().unique())
          .addColumn("key_prefix", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("rotated_at", text)
          .addColumn("revoked_at", text)
          .execute();

        await db.schema
          .createTable("schedule_state")
          .addColumn("workflow_id", text, (c) => c.primaryKey())
          .addColumn("paused", int, (c) => c.notNull().defaultTo(0))
          .addColumn("cron", text, (c) => c.notNull())
          .addColumn("last_tick", text) // the last tick handled (fired or skipped)
          .addColumn("last_execution_id", text)
          .addColumn("updated_at", text, (c) => c.notNull())
          .execute();

        // One row per tick fired: the primary key is what makes two schedulers fire it once.
        await db.schema
          .createTable("schedule_ticks")
          .addColumn("workflow_id", text, (c) => c.notNull())
          .addColumn("tick", text, (c) => c.notNull())
          .addColumn("execution_id", text)
          .addColumn("fired_by", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("schedule_ticks_pk", ["workflow_id", "tick"])
          .execute();
      },
    },
    "0005-custom-forms": {
      async up(db: Kysely<unknown>) {
        await db.schema
          .createTable("custom_forms")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("scope", text, (c) => c.notNull()) // an organization id, or "global"
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("workflow_id", text, (c) => c.notNull())
          .addColumn("title", text)
          .addColumn("description", text)
          .addColumn("fields", text, (c) => c.notNull()) // JSON: [{ name, label?, helpText?, hidden?, default? }] in display order
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .addUniqueConstraint("custom_forms_scope_name", ["scope", "name"])
          .execute();
      },
    },
    "0006-modules": {
      async up(db: Kysely<unknown>) {
        // Compiled workflow bundles by SHA-256: workers need no shared disk, and a run can
        // only ever load the exact code its hash names.
        await db.schema
          .createTable("modules")
          .addColumn("hash", text, (c) => c.primaryKey())
          .addColumn("code", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .execute();
      },
    },
    "0007-execution-heartbeat": {
      async up(db: Kysely<unknown>) {
        // Refreshed by the process running a queued run: a delivery that finds its run
        // Running with a fresh heartbeat is a duplicate, not a crash redelivery.
        await db.schema.alterTable("executions").addColumn("heartbeat_at", text).execute();
      },
    },
    "0008-execution-module": {
      async up(db: Kysely<unknown>) {
        // The exact code a run was created for: a worker whose registry copy is behind
        // still runs the version that was current when the run was queued.
        await db.schema.alterTable("executions").addColumn("module_hash", text).execute();
        await db.schema.alterTable("executions").addColumn("export_name", text).execute();
      },
    },
    "0009-integrations": {
      async up(db: Kysely<unknown>) {
        // Integration definitions (admins): OAuth settings as JSON, the client secret sealed.
        await db.schema
          .createTable("integrations")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("name", text, (c) => c.notNull().unique())
          .addColumn("description", text)
          .addColumn("config_schema", text) // JSON Schema of a mapping's config
          .addColumn("base_url", text)
          .addColumn("oauth", text) // JSON: flow, URLs, scopes, client id, client auth, extra params
          .addColumn("client_secret", text) // SecretBox envelope
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .execute();

        // One mapping per integration and scope. `organization_id` repeats the scope (null for
        // "global") so deleting an organization cascades to its mappings and connections.
        await db.schema
          .createTable("integration_mappings")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("integration_id", text, (c) => c.notNull().references("integrations.id").onDelete("cascade"))
          .addColumn("scope", text, (c) => c.notNull())
          .addColumn("organization_id", text, (c) => c.references("organizations.id").onDelete("cascade"))
          .addColumn("entity_id", text, (c) => c.notNull())
          .addColumn("entity_name", text)
          .addColumn("config", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .addUniqueConstraint("integration_mappings_scope", ["integration_id", "scope"])
          .execute();
        await db.schema.createIndex("integration_mappings_scope_idx").on("integration_mappings").columns(["scope"]).execute();

        // A mapping's OAuth connection: tokens sealed; `lease_*` lets one process at a time
        // spend the refresh token; `version` counts token changes.
        await db.schema
          .createTable("integration_connections")
          .addColumn("mapping_id", text, (c) => c.primaryKey().references("integration_mappings.id").onDelete("cascade"))
          .addColumn("status", text, (c) => c.notNull())
          .addColumn("access_token", text)
          .addColumn("refresh_token", text)
          .addColumn("token_type", text)
          .addColumn("scopes", text)
          .addColumn("expires_at", text)
          .addColumn("obtained_at", text)
          .addColumn("last_error", text)
          .addColumn("version", int, (c) => c.notNull().defaultTo(0))
          .addColumn("lease_owner", text)
          .addColumn("lease_until", text)
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .execute();
        await db.schema.createIndex("integration_connections_expiry").on("integration_connections").columns(["status", "expires_at"]).execute();

        // Authorization requests in flight: single use (deleted when consumed), expiring.
        await db.schema
          .createTable("oauth_states")
          .addColumn("state_hash", text, (c) => c.primaryKey()) // SHA-256 of the state sent to the provider
          .addColumn("mapping_id", text, (c) => c.notNull().references("integration_mappings.id").onDelete("cascade"))
          .addColumn("code_verifier", text, (c) => c.notNull()) // SecretBox envelope
          .addColumn("redirect_uri", text, (c) => c.notNull())
          .addColumn("created_by", text)
          .addColumn("expires_at", text, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .execute();
      },
    },
    "0010-ai": {
      async up(db: Kysely<unknown>) {
        // LLM providers configured by platform admins, globally or for one organization.
        // The API key and the extra headers (Azure's api-key) are sealed with SecretBox.
        await db.schema
          .createTable("ai_providers")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("scope", text, (c) => c.notNull())
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("kind", text, (c) => c.notNull())
          .addColumn("base_url", text)
          .addColumn("api_key", text)
          .addColumn("headers", text)
          .addColumn("query_params", text)
          .addColumn("chat_model", text)
          .addColumn("embedding_model", text)
          .addColumn("timeout_ms", int, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .addUniqueConstraint("ai_providers_scope_name", ["scope", "name"])
          .execute();
        // Which provider a scope uses for chat and for embeddings (an organization's row
        // overrides the global one).
        await db.schema
          .createTable("ai_settings")
          .addColumn("scope", text, (c) => c.primaryKey())
          .addColumn("chat_provider_id", text)
          .addColumn("embedding_provider_id", text)
          .addColumn("updated_at", text, (c) => c.notNull())
          .execute();
      },
    },
    "0011-knowledge": {
      async up(db: Kysely<unknown>) {
        // The knowledge base: a row per stored document, a row per chunk of it. `scope` is an
        // organization id or "global" (never NULL, so the keys below hold for global rows too).
        await db.schema
          .createTable("knowledge_documents")
          .addColumn("scope", text, (c) => c.notNull())
          .addColumn("namespace", text, (c) => c.notNull())
          .addColumn("key", text, (c) => c.notNull())
          .addColumn("content", text, (c) => c.notNull())
          .addColumn("content_hash", text, (c) => c.notNull()) // SHA-256 of the chunking options and the content
          .addColumn("metadata", text, (c) => c.notNull()) // JSON object
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("knowledge_documents_pk", ["scope", "namespace", "key"])
          .execute();

        await db.schema
          .createTable("knowledge_chunks")
          // Never reused (AUTOINCREMENT / a sequence): a late vector write cannot land on a newer chunk.
          .addColumn("id", sql.raw(autoId), (c) => (dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn("scope", text, (c) => c.notNull())
          .addColumn("namespace", text, (c) => c.notNull())
          .addColumn("key", text, (c) => c.notNull())
          .addColumn("seq", int, (c) => c.notNull())
          .addColumn("content", text, (c) => c.notNull())
          .$call((b) =>
            // PostgreSQL's full-text index: the chunk's lexemes, kept up to date by the database.
            dialect === "postgres" ? b.addColumn("tsv", sql`tsvector`, (c) => c.generatedAlwaysAs(sql`to_tsvector('english', content)`).stored()) : b,
          )
          .addForeignKeyConstraint("knowledge_chunks_document_fk", ["scope", "namespace", "key"], "knowledge_documents", ["scope", "namespace", "key"], (fk) =>
            fk.onDelete("cascade"),
          )
          .execute();
        await db.schema.createIndex("knowledge_chunks_document").on("knowledge_chunks").columns(["scope", "namespace", "key", "seq"]).unique().execute();

        // A chunk's vectors, one per embedding model: organizations using different models
        // can all search the global documents, and vectors of two models never mix.
        await db.schema
          .createTable("knowledge_vectors")
          .addColumn("chunk_id", int, (c) => c.notNull().references("knowledge_chunks.id").onDelete("cascade"))
          .addColumn("model", text, (c) => c.notNull())
          .addColumn("dimensions", int, (c) => c.notNull())
          // SQLite: float32 BLOB read by sqlite-vec; PostgreSQL: real[] (see knowledge-vectors.ts).
          .addColumn("embedding", dialect === "sqlite" ? "blob" : sql`real[]`, (c) => c.notNull())
          .addPrimaryKeyConstraint("knowledge_vectors_pk", ["chunk_id", "model"])
          .execute();

        if (dialect === "postgres") {
          await sql`CREATE INDEX knowledge_chunks_tsv ON knowledge_chunks USING gin (tsv)`.execute(db);
        } else {
          // SQLite's full-text index: an FTS5 table over the chunks' content, kept in step by triggers.
          await sql`CREATE VIRTUAL TABLE knowledge_chunks_fts USING fts5(content, content='knowledge_chunks', content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')`.execute(db);
          await sql`CREATE TRIGGER knowledge_chunks_fts_insert AFTER INSERT ON knowledge_chunks BEGIN
            INSERT INTO knowledge_chunks_fts(rowid, content) VALUES (new.id, new.content); END`.execute(db);
          await sql`CREATE TRIGGER knowledge_chunks_fts_delete AFTER DELETE ON knowledge_chunks BEGIN
            INSERT INTO knowledge_chunks_fts(knowledge_chunks_fts, rowid, content) VALUES ('delete', old.id, old.content); END`.execute(db);
          await sql`CREATE TRIGGER knowledge_chunks_fts_update AFTER UPDATE OF content ON knowledge_chunks BEGIN
            INSERT INTO knowledge_chunks_fts(knowledge_chunks_fts, rowid, content) VALUES ('delete', old.id, old.content);
            INSERT INTO knowledge_chunks_fts(rowid, content) VALUES (new.id, new.content); END`.execute(db);
        }
      },
    },
    "0012-agents": {
      async up(db: Kysely<unknown>) {
        // AI agents defined by platform admins, globally or for one organization: a system
        // prompt, a model, the isTool workflows they may call, knowledge namespaces, limits.
        await db.schema
          .createTable("agents")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("scope", text, (c) => c.notNull())
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("description", text)
          .addColumn("system_prompt", text, (c) => c.notNull())
          .addColumn("provider", text)
          .addColumn("model", text)
          .addColumn("tools", text, (c) => c.notNull())
          .addColumn("knowledge", text, (c) => c.notNull())
          .addColumn("max_iterations", int, (c) => c.notNull())
          .addColumn("max_tokens", int, (c) => c.notNull())
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .addUniqueConstraint("agents_scope_name", ["scope", "name"])
          .execute();
      },
    },
    "0013-execution-sync-lease": {
      async up(db: Kysely<unknown>) {
        // Sync runs (their caller waits on the process running them) carry a heartbeat
        // too: when that process dies, any other process marks them Stuck. Queued runs are
        // not reaped this way: the queue redelivers them.
        await db.schema.alterTable("executions").addColumn("sync", int, (c) => c.notNull().defaultTo(0)).execute();
        await db.schema.createIndex("executions_status_sync").on("executions").columns(["status", "sync"]).execute();
      },
    },
    "0014-execution-not-before": {
      async up(db: Kysely<unknown>) {
        // When a delayed (Scheduled) run is due. With a broker the delay lives in the
        // message; kept here too, a run whose message was never published can be found
        // once it is overdue and published again.
        await db.schema.alterTable("executions").addColumn("not_before", text).execute();
      },
    },
    "0015-users": {
      async up(db: Kysely<unknown>) {
        // People (issue 11): MSP users (organization_id null) and customer users; a
        // password hash (argon2id) or none (invited, or single sign-on only).
        await db.schema
          .createTable("users")
          .addColumn("id", text, (c) => c.primaryKey())
          // Lower-cased: unique regardless of case.
          .addColumn("email", text, (c) => c.notNull().unique())
          .addColumn("name", text, (c) => c.notNull())
          .addColumn("organization_id", text)
          .addColumn("is_platform_admin", int, (c) => c.notNull().defaultTo(0))
          .addColumn("is_org_admin", int, (c) => c.notNull().defaultTo(0))
          .addColumn("disabled", int, (c) => c.notNull().defaultTo(0))
          .addColumn("password_hash", text)
          .addColumn("mfa_secret", text)
          .addColumn("mfa_enabled", int, (c) => c.notNull().defaultTo(0))
          .addColumn("recovery_codes", text)
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .addColumn("last_login_at", text)
          .execute();
        await db.schema.createIndex("users_org").on("users").columns(["organization_id"]).execute();

        await db.schema
          .createTable("sessions")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("user_id", text, (c) => c.notNull().references("users.id").onDelete("cascade"))
          // SHA-256 of the cookie's token: a stolen database holds no usable session.
          .addColumn("token_hash", text, (c) => c.notNull().unique())
          .addColumn("csrf_token", text, (c) => c.notNull())
          .addColumn("ip", text)
          .addColumn("user_agent", text)
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("last_seen_at", text, (c) => c.notNull())
          .addColumn("expires_at", text, (c) => c.notNull())
          .addColumn("revoked_at", text)
          .execute();
        await db.schema.createIndex("sessions_user").on("sessions").columns(["user_id"]).execute();

        await db.schema
          .createTable("roles")
          .addColumn("id", text, (c) => c.primaryKey())
          .addColumn("name", text, (c) => c.notNull())
          // Lower-cased name: unique regardless of case.
          .addColumn("name_key", text, (c) => c.notNull().unique())
          .addColumn("description", text)
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("updated_at", text, (c) => c.notNull())
          .execute();

        await db.schema
          .createTable("user_roles")
          .addColumn("user_id", text, (c) => c.notNull().references("users.id").onDelete("cascade"))
          .addColumn("role_id", text, (c) => c.notNull().references("roles.id").onDelete("cascade"))
          .addColumn("created_at", text, (c) => c.notNull())
          .addPrimaryKeyConstraint("user_roles_pk", ["user_id", "role_id"])
          .execute();

        // One-time links: invitations, admin password resets, the first-admin setup.
        await db.schema
          .createTable("user_tokens")
          .addColumn("token_hash", text, (c) => c.primaryKey())
          .addColumn("purpose", text, (c) => c.notNull())
          .addColumn("user_id", text, (c) => c.references("users.id").onDelete("cascade"))
          .addColumn("created_by", text)
          .addColumn("created_at", text, (c) => c.notNull())
          .addColumn("expires_at", text, (c) => c.notNull())
          .addColumn("used_at", text)
          .execute();

        await db.schema
          .createTable("audit_events")
          .addColumn("id", sql.raw(autoId), (c) => (dialect === "sqlite" ? c.primaryKey().autoIncrement() : c.primaryKey()))
          .addColumn("at", text, (c) => c.notNull())
          .addColumn("actor_kind", text, (c) => c.notNull())
          .addColumn("actor_id", text)
          .addColumn("actor_name", text)
          .addColumn("organization_id", text)
          .addColumn("action", text, (c) => c.notNull())
          .addColumn("target", text)
          .addColumn("ip", text)
          .addColumn("details", text)
          .execute();
        await db.schema.createIndex("audit_events_at").on("audit_events").columns(["at"]).execute();
        await db.schema.createIndex("audit_events_org").on("audit_events").columns(["organization_id", "at"]).execute();

        // Personal keys act with their user's rights.
        await db.schema.alterTable("api_keys").addColumn("user_id", text).execute();
      },
    },
    "0016-custom-form-access": {
      async up(db: Kysely<unknown>) {
        // JSON { level: "authenticated" | "roleBased", roles: [names] }; null = authenticated.
        await db.schema.alterTable("custom_forms").addColumn("access", text).execute();
      },
    },
    "0017-agent-access": {
      async up(db: Kysely<unknown>) {
        // As custom forms': JSON { level, roles }; null = authenticated.
        await db.schema.alterTable("agents").addColumn("access", text).execute();
      },
    },
    "0018-totp-last-step": {
      async up(db: Kysely<unknown>) {
        // The last TOTP time step accepted: a code is good once (no replay within its window).
        await db.schema.alterTable("users").addColumn("mfa_last_step", int).execute();
      },
    },
    "0019-execution-log-search": {
      async up(db: Kysely<unknown>) {
        // The admins' log search across runs reads lines newest first (and by time range).
        await db.schema.createIndex("execution_logs_ts").on("execution_logs").columns(["ts"]).execute();
        // A run's page lists the runs it started.
        await db.schema.createIndex("executions_parent").on("executions").columns(["parent_id"]).execute();
      },
    },
  };
}

class StaticProvider implements MigrationProvider {
  constructor(private readonly dialect: Dialect) {}
  async getMigrations(): Promise<Record<string, Migration>> {
    return migrations(this.dialect);
  }
}

/** Brings the schema up to date; throws with the failing migration's name. */
export async function migrateToLatest(db: Kysely<unknown>, dialect: Dialect, schema?: string): Promise<void> {
  // Named explicitly: Kysely looks for its migration tables across every schema, so with
  // several schemas in one database it would find another schema's and skip its own.
  const migrator = new Migrator({ db, provider: new StaticProvider(dialect), ...(schema ? { migrationTableSchema: schema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === "Error")?.migrationName ?? "unknown";
    throw new Error(`database migration ${failed} failed: ${error instanceof Error ? error.message : String(error)}`, {
      cause: error,
    });
  }
}
