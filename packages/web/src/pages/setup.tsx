import { useState } from "react";
import { Alert, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useNavigate, useSearchParams } from "react-router";
import { api, ApiError } from "../lib/api.js";

function problemOf(err: unknown, field: string): string | undefined {
  return err instanceof ApiError ? err.fields.find((f) => f.path === field)?.message : undefined;
}

function Frame({ title, label, children }: { title: string; label: string; children: React.ReactNode }) {
  return (
    <Center mih="100vh" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w={420} maw="calc(100vw - 24px)" aria-label={label}>
        <Stack>
          <Title order={2}>{title}</Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

/** The first platform admin, from the one-time link the server logs at start (/setup?token=…). */
export function SetupPage() {
  const [params] = useSearchParams();
  const navigate = useNavigate();
  const client = useQueryClient();
  const [form, setForm] = useState({ email: "", name: "", password: "" });
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      await api("/api/auth/setup", { method: "POST", org: null, body: { token: params.get("token") ?? "", ...form } });
      // A new session: nothing cached for the previous one (a 401, another user's data) may show.
      client.removeQueries();
      navigate("/", { replace: true });
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <Frame title="Create the first admin" label="First admin">
      <form onSubmit={submit}>
        <Stack>
          {error && !(error instanceof ApiError && error.fields.length) ? <Alert color="red" role="alert">{error instanceof Error ? error.message : String(error)}</Alert> : null}
          <TextInput label="E-mail" type="email" required value={form.email} error={problemOf(error, "email")} onChange={(e) => setForm({ ...form, email: e.currentTarget.value })} />
          <TextInput label="Name" required value={form.name} error={problemOf(error, "name")} onChange={(e) => setForm({ ...form, name: e.currentTarget.value })} />
          <PasswordInput label="Password" description="At least 12 characters" autoComplete="new-password" required value={form.password} error={problemOf(error, "password")} onChange={(e) => setForm({ ...form, password: e.currentTarget.value })} />
          <Button type="submit" loading={busy}>
            Create and sign in
          </Button>
        </Stack>
      </form>
    </Frame>
  );
}

/** An invitation or password-reset link (/invite?token=…): choose a password, then sign in. */
export function InvitePage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const navigate = useNavigate();
  const invite = useQuery({ queryKey: ["invite", token], queryFn: () => api<{ purpose: string; email: string; name: string }>(`/api/auth/invites/${encodeURIComponent(token)}`, { org: null }), retry: false });
  const [password, setPassword] = useState("");
  const [error, setError] = useState<unknown>(null);
  const submit = async (e: React.FormEvent) => {
    e.preventDefault();
    setError(null);
    try {
      await api(`/api/auth/invites/${encodeURIComponent(token)}`, { method: "POST", org: null, body: { password } });
      navigate("/login", { replace: true });
    } catch (err) {
      setError(err);
    }
  };
  if (invite.error) {
    return (
      <Frame title="This link does not work" label="Invitation">
        <Alert color="red" role="alert">{invite.error.message}</Alert>
      </Frame>
    );
  }
  return (
    <Frame title={invite.data?.purpose === "reset" ? "Choose a new password" : "Welcome to Bifrost"} label="Invitation">
      <Text size="sm">{invite.data ? `${invite.data.name} (${invite.data.email})` : "…"}</Text>
      <form onSubmit={submit}>
        <Stack>
          {error && !problemOf(error, "password") ? <Alert color="red" role="alert">{error instanceof Error ? error.message : String(error)}</Alert> : null}
          <PasswordInput label="Password" description="At least 12 characters" autoComplete="new-password" required value={password} error={problemOf(error, "password")} onChange={(e) => setPassword(e.currentTarget.value)} />
          <Button type="submit">Set password</Button>
        </Stack>
      </form>
    </Frame>
  );
}
