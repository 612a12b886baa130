import type { ReactNode } from "react";
import { Alert, Code, CopyButton, Button, Group, Text } from "@mantine/core";
import { ApiError } from "../lib/api.js";
import { formLevelError } from "../lib/form-errors.js";
import { useMe } from "../lib/session.js";
import type { Me } from "../lib/types.js";
import { LoadingRows } from "./states.js";

/** Platform admins and organization admins: the levels the admin pages are for. */
export const isAdmin = (me: Me | undefined): boolean => me?.level === "platformAdmin" || me?.level === "orgAdmin";

/** The page, for the levels `allow` accepts; everyone else gets the "not allowed" page. */
export function Allowed({ allow = isAdmin, children }: { allow?: (me: Me) => boolean; children: ReactNode }) {
  const me = useMe();
  if (!me.data) return <LoadingRows rows={2} />;
  if (!allow(me.data)) return <NotAllowed />;
  return <>{children}</>;
}

/** What a page says to a level that may not use it (the API refuses it with 403 as well). */
export function NotAllowed() {
  return (
    <Alert color="gray" title="Not allowed" role="alert">
      Your level may not use this page. Ask an administrator if you need it.
    </Alert>
  );
}

/** A mutation's error that is not about a field (a field's goes beside the field). */
export function FormProblem({ error }: { error: unknown }) {
  if (!error || (error instanceof ApiError && error.fields.length)) return null;
  return (
    <Text c="red" size="sm" mt="xs" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </Text>
  );
}

/** What of a mutation's error no field of the form shows (`shown`: the fields it has), in red. */
export function FormLevelError({ error, shown }: { error: unknown; shown?: readonly string[] }) {
  const message = formLevelError(error, shown);
  return message ? (
    <Text c="red" size="sm" role="alert">
      {message}
    </Text>
  ) : null;
}

/** A form's submit button and, while an existing item is edited (`onCancel`), a Cancel button. */
export function SubmitRow({ label, loading, onCancel }: { label: string; loading: boolean; onCancel?: () => void }) {
  return (
    <Group>
      <Button type="submit" loading={loading}>
        {label}
      </Button>
      {onCancel ? (
        <Button variant="subtle" onClick={onCancel}>
          Cancel
        </Button>
      ) : null}
    </Group>
  );
}

/** A secret shown once (a new key, an invitation link): copy it now, it is not shown again. */
export function ShownOnce({ title, label, value, onClose }: { title: string; label: string; value: string; onClose?: () => void }) {
  return (
    <Alert title={title} color="blue" role="status" withCloseButton={!!onClose} onClose={onClose} closeButtonLabel="Dismiss">
      <Group>
        <Code aria-label={label} style={{ wordBreak: "break-all" }}>
          {value}
        </Code>
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button size="xs" variant="light" onClick={copy}>
              {copied ? "Copied" : "Copy"}
            </Button>
          )}
        </CopyButton>
      </Group>
    </Alert>
  );
}
