import { useEffect, useState } from "react";
import { Alert, Badge, Button, Card, Code, Group, Image, List, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import QRCode from "qrcode";
import { api } from "../lib/api.js";
import { useMe } from "../lib/session.js";
import { FormProblem } from "../components/admin.js";
import { fieldError } from "../lib/form-errors.js";
import { LoadingRows } from "../components/states.js";

/**
 * Two-factor sign-in for the signed-in user: enrol (a QR code drawn here, never by a
 * remote service), confirm with a code from the app, keep the recovery codes (shown once);
 * turn it off with a code.
 */
export function SecurityPage() {
  const me = useMe();
  const client = useQueryClient();
  const [enrolment, setEnrolment] = useState<{ secret: string; otpauthUri: string } | null>(null);
  const [qr, setQr] = useState<string | null>(null);
  const [code, setCode] = useState("");
  const [recovery, setRecovery] = useState<string[] | null>(null);
  const refresh = () => client.invalidateQueries({ queryKey: ["me"] });
  useEffect(() => {
    if (enrolment) void QRCode.toDataURL(enrolment.otpauthUri, { margin: 1, width: 220 }).then(setQr);
    else setQr(null);
  }, [enrolment]);
  const enrol = useMutation({ mutationFn: () => api<{ secret: string; otpauthUri: string }>("/api/auth/mfa/enroll", { method: "POST", org: null }), onSuccess: setEnrolment });
  const verify = useMutation({
    mutationFn: () => api<{ recoveryCodes: string[] }>("/api/auth/mfa/verify", { method: "POST", org: null, body: { code } }),
    onSuccess: (a) => (setRecovery(a.recoveryCodes), setEnrolment(null), setCode(""), refresh()),
  });
  const disable = useMutation({ mutationFn: () => api("/api/auth/mfa/disable", { method: "POST", org: null, body: { code } }), onSuccess: () => (setCode(""), setRecovery(null), refresh()) });

  if (!me.data) return <LoadingRows rows={2} />;
  const user = me.data.user;
  if (!user) return <Alert title="Not for API keys">Two-factor sign-in belongs to a user who signs in with a password.</Alert>;
  const on = user.mfaEnabled === true;

  return (
    <Stack maw={640}>
      <Title order={2}>Two-factor sign-in</Title>
      <Group>
        <Text>Status:</Text>
        {on ? <Badge color="green" variant="light">On</Badge> : <Badge color="gray" variant="light">Off</Badge>}
      </Group>
      {recovery ? (
        <Alert color="blue" title="Recovery codes: keep them somewhere safe, they are shown once" role="status">
          <Text size="sm" mb="xs">
            Each one signs you in once if you lose your phone.
          </Text>
          <List aria-label="Recovery codes" spacing={2}>
            {recovery.map((c) => (
              <List.Item key={c}>
                <Code>{c}</Code>
              </List.Item>
            ))}
          </List>
        </Alert>
      ) : null}
      {!on && !enrolment ? (
        <Card withBorder>
          <Stack>
            <Text size="sm">Add a code from an authenticator app (TOTP) to each sign-in.</Text>
            <FormProblem error={enrol.error} />
            <Button w="fit-content" loading={enrol.isPending} onClick={() => enrol.mutate()}>
              Set up two-factor sign-in
            </Button>
          </Stack>
        </Card>
      ) : null}
      {enrolment ? (
        <Card withBorder component="form" aria-label="Confirm two-factor sign-in" onSubmit={(e: React.FormEvent) => (e.preventDefault(), verify.mutate())}>
          <Stack>
            <Text size="sm">Scan this code with your authenticator app, or type the key by hand, then enter the code the app shows.</Text>
            {qr ? <Image src={qr} alt="QR code for the authenticator app" w={220} h={220} /> : <LoadingRows rows={1} />}
            <Text size="sm">
              Key: <Code aria-label="Setup key">{enrolment.secret}</Code>
            </Text>
            <TextInput label="Code from the app" inputMode="numeric" autoComplete="one-time-code" value={code} error={fieldError(verify.error, "code")} onChange={(e) => setCode(e.currentTarget.value)} w={200} />
            <FormProblem error={verify.error} />
            <Button type="submit" w="fit-content" loading={verify.isPending}>
              Turn on
            </Button>
          </Stack>
        </Card>
      ) : null}
      {on ? (
        <Card withBorder component="form" aria-label="Turn off two-factor sign-in" onSubmit={(e: React.FormEvent) => (e.preventDefault(), disable.mutate())}>
          <Group align="end">
            <TextInput label="Current or recovery code" value={code} error={fieldError(disable.error, "code")} onChange={(e) => setCode(e.currentTarget.value)} w={240} />
            <Button type="submit" color="red" variant="light" loading={disable.isPending}>
              Turn off
            </Button>
          </Group>
          <FormProblem error={disable.error} />
        </Card>
      ) : null}
    </Stack>
  );
}
