import { createContext, useCallback, useContext, useState, type ReactNode } from "react";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { api, currentOrg, setCurrentOrg } from "./api.js";
import type { Me } from "./types.js";

interface OrgState {
  /** The organization acted in (X-Bifrost-Org), null = all of them. */
  org: string | null;
  setOrg(id: string | null): void;
}

const OrgContext = createContext<OrgState>({ org: null, setOrg: () => undefined });

/** Keeps the chosen organization; every query key starts with it, so switching refetches every page. */
export function OrgProvider({ children }: { children: ReactNode }) {
  const client = useQueryClient();
  const [org, setState] = useState<string | null>(() => currentOrg());
  const setOrg = useCallback(
    (id: string | null) => {
      setCurrentOrg(id);
      setState(id);
      client.removeQueries({ predicate: (q) => q.queryKey[0] !== "me" });
    },
    [client],
  );
  return <OrgContext.Provider value={{ org, setOrg }}>{children}</OrgContext.Provider>;
}

export const useOrg = (): OrgState => useContext(OrgContext);

/** Who is signed in: GET /api/auth/me (without X-Bifrost-Org: the home view). */
export function useMe() {
  return useQuery({ queryKey: ["me"], queryFn: () => api<Me>("/api/auth/me", { org: null }), retry: false, staleTime: 60_000 });
}
