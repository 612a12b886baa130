import { Alert } from "@mantine/core";
import { useRouteError } from "react-router";

export function RouteError({ notFound }: { notFound?: boolean }) {
  const error = useRouteError();
  if (notFound) return <Alert title="Not found">There is no page at this address.</Alert>;
  return (
    <Alert color="red" title="This page failed" role="alert">
      {error instanceof Error ? error.message : String(error)}
    </Alert>
  );
}
