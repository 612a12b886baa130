import type { ReactNode } from "react";
import { Button, Group, Modal, Stack, Text } from "@mantine/core";
import { FormProblem } from "./admin.js";

/**
 * "Delete X?": a modal with what goes with it, a keep button and a red confirm button.
 * `error` (when given) is the delete's error that no field shows.
 */
export function ConfirmModal({
  opened,
  title,
  children,
  error,
  keepLabel = "Keep it",
  confirmLabel,
  loading,
  onKeep,
  onConfirm,
}: {
  opened: boolean;
  title: string;
  children?: ReactNode;
  error?: unknown;
  keepLabel?: string;
  confirmLabel: string;
  loading: boolean;
  onKeep(): void;
  onConfirm(): void;
}) {
  return (
    <Modal closeButtonProps={{ "aria-label": "Close" }} opened={opened} onClose={onKeep} title={title}>
      <Stack>
        {children ? <Text size="sm">{children}</Text> : null}
        {error !== undefined ? <FormProblem error={error} /> : null}
        <Group justify="end">
          <Button variant="default" onClick={onKeep}>
            {keepLabel}
          </Button>
          <Button color="red" loading={loading} onClick={onConfirm}>
            {confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
}
