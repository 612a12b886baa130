import { Select } from "@mantine/core";
import type { ScopeChoice } from "../lib/scope.js";

/** The "Scope" choice of the tables and knowledge pages (global or an organization; lib/scope.ts gives the choices). */
export function ScopeSelect({ scope, setScope, choices }: { scope: string; setScope(s: string): void; choices: ScopeChoice[] }) {
  return <Select label="Scope" data={choices} value={scope} onChange={(v) => v && setScope(v)} allowDeselect={false} w={240} comboboxProps={{ withinPortal: true }} />;
}
