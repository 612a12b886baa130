import type { ReactNode } from "react";
import { Button, Table, VisuallyHidden } from "@mantine/core";
import { flexRender, getCoreRowModel, useReactTable, type ColumnDef } from "@tanstack/react-table";

/** A TanStack Table drawn with Mantine's table (scrolling sideways below `minWidth` pixels): the admin pages' lists and the run history. */
export function DataTable<T>({ label, data, columns, rowId, minWidth = 600 }: { label: string; data: T[]; columns: ColumnDef<T, any>[]; rowId: (row: T) => string; minWidth?: number }) {
  const table = useReactTable({ data, columns, getCoreRowModel: getCoreRowModel(), getRowId: rowId });
  return (
    <Table.ScrollContainer minWidth={minWidth}>
      <Table striped highlightOnHover aria-label={label}>
        <Table.Thead>
          {table.getHeaderGroups().map((g) => (
            <Table.Tr key={g.id}>
              {g.headers.map((h) => (
                <Table.Th key={h.id}>{flexRender(h.column.columnDef.header, h.getContext())}</Table.Th>
              ))}
            </Table.Tr>
          ))}
        </Table.Thead>
        <Table.Tbody>
          {table.getRowModel().rows.map((row) => (
            <Table.Tr key={row.id}>
              {row.getVisibleCells().map((cell) => (
                <Table.Td key={cell.id}>{flexRender(cell.column.columnDef.cell, cell.getContext())}</Table.Td>
              ))}
            </Table.Tr>
          ))}
        </Table.Tbody>
      </Table>
    </Table.ScrollContainer>
  );
}

/** The header of a column of buttons: named for screen readers, empty on screen. */
export const ActionsHeader = () => <VisuallyHidden>Actions</VisuallyHidden>;

/** The header row of a hand-drawn Mantine table: one cell a heading (null: an empty cell). */
export function TableHead({ headings }: { headings: ReactNode[] }) {
  return (
    <Table.Thead>
      <Table.Tr>
        {headings.map((h, i) => (
          <Table.Th key={i}>{h}</Table.Th>
        ))}
      </Table.Tr>
    </Table.Thead>
  );
}

/** A small button in a table row, named for its row (`Delete helpdesk`); `danger` makes it red. */
export function RowButton({ label, of, danger, onClick }: { label: string; of: string; danger?: boolean; onClick(): void }) {
  return (
    <Button size="xs" variant="subtle" color={danger ? "red" : undefined} aria-label={`${label} ${of}`} onClick={onClick}>
      {label}
    </Button>
  );
}
