import { Component, type ErrorInfo, type ReactNode } from "react";
import { Alert, Button, Code, Stack } from "@mantine/core";

interface State {
  error: Error | null;
}

/** One per page: a page that throws shows its error here while the rest of the app keeps working. */
export class PageBoundary extends Component<{ children: ReactNode; resetKey?: string }, State> {
  override state: State = { error: null };

  static getDerivedStateFromError(error: Error): State {
    return { error };
  }

  override componentDidUpdate(prev: { resetKey?: string }): void {
    if (prev.resetKey !== this.props.resetKey && this.state.error) this.setState({ error: null });
  }

  override componentDidCatch(error: Error, info: ErrorInfo): void {
    console.error(error, info.componentStack);
  }

  override render(): ReactNode {
    if (!this.state.error) return this.props.children;
    return (
      <Alert color="red" title="This page failed" role="alert">
        <Stack gap="xs">
          <Code block>{this.state.error.message}</Code>
          <Button variant="light" w="fit-content" onClick={() => this.setState({ error: null })}>
            Try again
          </Button>
        </Stack>
      </Alert>
    );
  }
}
