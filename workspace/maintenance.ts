import { workflow, z, logger, NonRetriableError } from "bifrost";

/** Partial failure: `{ success: false }` ends the run as CompletedWithErrors. */
export const patchDevices = workflow(
  {
    name: "patch_devices",
    description: "Patch a list of devices and report the ones that failed",
    category: "Maintenance",
    params: z.object({ devices: z.array(z.string()).min(1) }),
    timeSaved: 5,
  },
  async ({ devices }) => {
    const failed: string[] = [];
    for (const device of devices) {
      if (device.startsWith("offline-")) {
        logger.warn(`${device} is offline, skipped`);
        failed.push(device);
      } else {
        logger.info(`${device} patched`);
      }
    }
    return { success: failed.length === 0, patched: devices.length - failed.length, failed };
  },
);

/** Retries: thrown errors are retried per retryPolicy; NonRetriableError never is. */
export const syncTickets = workflow(
  {
    name: "sync_tickets",
    description: "Pull tickets from the PSA (retries on failure)",
    category: "Maintenance",
    params: z.object({ tenant: z.string().min(1) }),
    retryPolicy: { maxRetries: 2, delaySeconds: 5, backoff: "exponential" },
    schedule: "*/30 * * * *",
  },
  async ({ tenant }) => {
    if (tenant === "gone") throw new NonRetriableError(`Tenant ${tenant} no longer exists`);
    logger.info(`Synced tickets of ${tenant}`);
    return { tenant, synced: 0 };
  },
);
