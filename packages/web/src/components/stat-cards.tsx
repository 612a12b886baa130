import { Card, SimpleGrid, Text } from "@mantine/core";

/** One figure of a row of stat cards: its label, and its value (null while loading: "…"). */
export type Stat = readonly [label: string, value: string | null];

/**
 * A row of labelled figures (home, ROI). Each card is a `group` named by its label, so a
 * test or a screen reader finds "Time saved" and reads its value.
 */
export function StatCards({ stats, cols }: { stats: readonly Stat[]; cols: { base: number; md: number } }) {
  return (
    <SimpleGrid cols={cols}>
      {stats.map(([label, value]) => (
        <Card key={label} withBorder role="group" aria-label={label}>
          <Text size="xs" c="dimmed" tt="uppercase" fw={700}>
            {label}
          </Text>
          <Text fz={28} fw={700}>
            {value ?? "…"}
          </Text>
        </Card>
      ))}
    </SimpleGrid>
  );
}
