import { z } from "zod";
import type { SdkRegistry } from "../sdk/sdk-registry.js";
import { Content, Documents, Key, KeyOptions, Namespace, Query, ScopeOptions, SearchOptions, StoreManyOptions, StoreOptions } from "./knowledge.schemas.js";
import type { KnowledgeService } from "./knowledge.service.js";

/** `knowledge.*` for running workflows and the external SDK (packages/sdk/src/knowledge.ts). */
export function registerKnowledgeSdk(sdk: SdkRegistry, knowledge: KnowledgeService): void {
  sdk.register("knowledge.store", ["content", "options"], z.tuple([Content, StoreOptions.optional()]), (caller, content, options) =>
    knowledge.store(caller, content, options),
  );
  sdk.register("knowledge.storeMany", ["documents", "options"], z.tuple([Documents, StoreManyOptions.optional()]), (caller, documents, options) =>
    knowledge.storeMany(caller, documents, options),
  );
  sdk.register("knowledge.search", ["query", "options"], z.tuple([Query, SearchOptions.optional()]), (caller, query, options) =>
    knowledge.searchDocuments(caller, query, options),
  );
  sdk.register("knowledge.get", ["key", "options"], z.tuple([Key, KeyOptions.optional()]), (caller, key, options) => knowledge.get(caller, key, options));
  sdk.register("knowledge.delete", ["key", "options"], z.tuple([Key, KeyOptions.optional()]), (caller, key, options) => knowledge.delete(caller, key, options));
  sdk.register("knowledge.deleteNamespace", ["namespace", "options"], z.tuple([Namespace, ScopeOptions.optional()]), (caller, namespace, options) =>
    knowledge.deleteNamespace(caller, namespace, options),
  );
  sdk.register("knowledge.listNamespaces", ["options"], z.tuple([ScopeOptions.optional()]), (caller, options) => knowledge.listNamespaces(caller, options));
}
