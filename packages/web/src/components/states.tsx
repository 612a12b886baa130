import { Alert, Skeleton, Stack, Text } from "@mantine/core";
import { ApiError } from "../lib/api.js";

export function LoadingRows({ rows = 5 }: { rows?: number }) {
  return (
    <Stack gap="xs" aria-busy="true" aria-label="Loading">
      {Array.from({ length: rows }, (_, i) => (
        <Skeleton key={i} height={36} radius="sm" />
      ))}
    </Stack>
  );
}

export function Empty({ title, children }: { title: string; children?: React.ReactNode }) {
  return (
    <Stack align="center" gap={4} py="xl">
      <Text fw={600}>{title}</Text>
      {children ? (
        <Text c="dimmed" size="sm">
          {children}
        </Text>
      ) : null}
    </Stack>
  );
}

export function ErrorAlert({ error }: { error: unknown }) {
  const message = error instanceof Error ? error.message : String(error);
  const title = error instanceof ApiError && error.status === 404 ? "Not found" : "Something went wrong";
  return (
    <Alert color="red" title={title} role="alert">
      {message}
    </Alert>
  );
}
