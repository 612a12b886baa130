import { z } from "zod";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { CountOptions, CreateOptions, DocumentBody, DocumentId, Documents, Ids, QueryOptions, ScopeOptions, TableName } from "./tables.schemas.js";
import type { TablesService } from "./tables.service.js";

/** `tables.*` for running workflows and the external SDK (packages/sdk/src/tables.ts). */
export function registerTablesSdk(sdk: SdkRegistry, tables: TablesService): void {
  const scoped = ScopeOptions.optional();
  sdk.register("tables.create", ["name", "options"], z.tuple([TableName, CreateOptions.optional()]), async (caller, name, options) => {
    return (await tables.create(caller, name, options)).table;
  });
  sdk.register("tables.list", ["options"], z.tuple([scoped]), (caller, options) => tables.list(caller, options));
  sdk.register("tables.drop", ["name", "options"], z.tuple([TableName, scoped]), (caller, name, options) => tables.drop(caller, name, options));
  sdk.register("tables.insert", ["table", "document", "options"], z.tuple([TableName, DocumentBody, scoped]), (caller, table, doc, options) =>
    tables.insert(caller, table, doc, options),
  );
  sdk.register("tables.upsert", ["table", "document", "options"], z.tuple([TableName, DocumentBody, scoped]), (caller, table, doc, options) =>
    tables.upsert(caller, table, doc, options),
  );
  sdk.register("tables.get", ["table", "id", "options"], z.tuple([TableName, DocumentId, scoped]), (caller, table, id, options) =>
    tables.get(caller, table, id, options),
  );
  sdk.register("tables.update", ["table", "id", "patch", "options"], z.tuple([TableName, DocumentId, DocumentBody, scoped]), (caller, table, id, patch, options) =>
    tables.update(caller, table, id, patch, options),
  );
  sdk.register("tables.deleteDocument", ["table", "id", "options"], z.tuple([TableName, DocumentId, scoped]), (caller, table, id, options) =>
    tables.deleteDocument(caller, table, id, options),
  );
  sdk.register("tables.insertBatch", ["table", "documents", "options"], z.tuple([TableName, Documents, scoped]), (caller, table, docs, options) =>
    tables.insertBatch(caller, table, docs, options),
  );
  sdk.register("tables.upsertBatch", ["table", "documents", "options"], z.tuple([TableName, Documents, scoped]), (caller, table, docs, options) =>
    tables.upsertBatch(caller, table, docs, options),
  );
  sdk.register("tables.deleteBatch", ["table", "ids", "options"], z.tuple([TableName, Ids, scoped]), (caller, table, ids, options) =>
    tables.deleteBatch(caller, table, ids, options),
  );
  sdk.register("tables.query", ["table", "options"], z.tuple([TableName, QueryOptions.optional()]), (caller, table, options) =>
    tables.query(caller, table, options),
  );
  sdk.register("tables.count", ["table", "options"], z.tuple([TableName, CountOptions.optional()]), (caller, table, options) =>
    tables.count(caller, table, options),
  );
}
