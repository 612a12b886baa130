import { createHash } from "node:crypto";
import { existsSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ModulesRepo } from "@bifrost/storage/modules.repo.js";

/**
 * Where a worker finds the bundle a hash names: in its build folder, or else fetched from
 * the database (checked against the hash) and written there. Workers need no shared disk,
 * a wiped build folder heals itself, and no run can load code other than what its hash
 * names.
 */
export class ModuleStore {
  /** Hashes known to be on disk here: the hot path skips the file check. */
  private readonly present = new Set<string>();

  constructor(
    private readonly buildDir: string,
    private readonly modules: ModulesRepo,
  ) {}

  /** The local file for a hash (the file name is the hash's first 32 hex characters). */
  pathOf(hash: string): string {
    return join(this.buildDir, `${hash.slice(0, 32)}.mjs`);
  }

  /** Records a bundle that was just compiled here, in the database too. */
  async put(hash: string, code: string): Promise<void> {
    await this.modules.put(hash, code);
    this.present.add(hash);
  }

  /** The local path of the bundle, fetching it from the database when it is not on disk. */
  async ensure(hash: string): Promise<string> {
    const path = this.pathOf(hash);
    if (this.present.has(hash)) return path;
    if (!existsSync(path)) {
      const code = await this.modules.get(hash);
      if (code === null) throw new Error(`compiled module ${hash.slice(0, 12)} is neither on disk nor in the database: save the workflow file again`);
      const actual = createHash("sha256").update(code).digest("hex");
      if (actual !== hash) throw new Error(`compiled module ${hash.slice(0, 12)} in the database does not match its hash`);
      mkdirSync(this.buildDir, { recursive: true });
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, code);
      renameSync(tmp, path);
    }
    this.present.add(hash);
    return path;
  }
}
