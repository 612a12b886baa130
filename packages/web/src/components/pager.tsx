import { Button, Group, Text } from "@mantine/core";

/** Previous / next page of a server-paginated list; `go(null)` is the first page. */
export function Pager({ page, hasMore, go }: { page: number; hasMore: boolean; go(page: string | null): void }) {
  return (
    <Group>
      <Button variant="default" disabled={page <= 1} onClick={() => go(page > 2 ? String(page - 1) : null)}>
        Previous page
      </Button>
      <Text size="sm" aria-label="Page">
        Page {page}
      </Text>
      <Button variant="default" disabled={!hasMore} onClick={() => go(String(page + 1))}>
        Next page
      </Button>
    </Group>
  );
}
