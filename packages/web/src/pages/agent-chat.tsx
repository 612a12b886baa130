import { useEffect, useRef, useState } from "react";
import { Anchor, Badge, Button, Card, Group, Stack, Text, Textarea, Title } from "@mantine/core";
import { useQuery } from "@tanstack/react-query";
import { Link, useParams } from "react-router";
import { api } from "../lib/api.js";
import { postNdjson } from "../lib/ndjson.js";
import { useOrg } from "../lib/session.js";
import { ErrorAlert, LoadingRows } from "../components/states.js";
import type { Agent } from "./agents.js";

/** One tool call as the chat API reports it. */
interface ToolCall {
  tool: string;
  executionId: string | null;
  status: string;
  error?: string;
}

interface Message {
  role: "user" | "assistant";
  content: string;
  toolCalls: ToolCall[];
  error?: string;
  /** The answer is still arriving. */
  streaming?: boolean;
  usage?: { totalTokens: number };
}

type ChatEvent =
  | { type: "text"; text: string }
  | { type: "tool"; call: ToolCall }
  | { type: "done"; result: { answer: string; toolCalls: ToolCall[]; usage: { totalTokens: number }; stopReason: string } }
  | { type: "error"; error: { message: string } };

/** A tool call: a link to the run it was (its logs and result), or why it never ran. */
function ToolCallLine({ call }: { call: ToolCall }) {
  const color = call.status === "Success" ? "green" : call.status === "CompletedWithErrors" ? "yellow" : "red";
  return (
    <Group gap="xs" wrap="nowrap">
      <Badge size="sm" color={color} variant="dot">
        {call.status}
      </Badge>
      {call.executionId ? (
        <Anchor component={Link} to={`/runs/${call.executionId}`} size="sm">
          Tool {call.tool}: open its run
        </Anchor>
      ) : (
        <Text size="sm">
          Tool {call.tool}: {call.error ?? "did not run"}
        </Text>
      )}
    </Group>
  );
}

/** Chat with an agent: the answer streams in as the model writes it; each tool call links to its run. */
export function AgentChatPage() {
  const { ref = "" } = useParams();
  const { org } = useOrg();
  const agent = useQuery({ queryKey: [org, "agents", ref], queryFn: () => api<Agent>(`/api/agents/${encodeURIComponent(ref)}`) });
  const [messages, setMessages] = useState<Message[]>([]);
  const [draft, setDraft] = useState("");
  const [busy, setBusy] = useState(false);
  const stop = useRef<AbortController | null>(null);
  useEffect(() => () => stop.current?.abort(), []);

  const updateLast = (change: (m: Message) => Message) => setMessages((all) => [...all.slice(0, -1), change(all.at(-1)!)]);

  const send = async () => {
    const message = draft.trim();
    if (!message || busy) return;
    const history = messages.filter((m) => !m.error && m.content).map((m) => ({ role: m.role, content: m.content }));
    setDraft("");
    setBusy(true);
    setMessages((all) => [...all, { role: "user", content: message, toolCalls: [] }, { role: "assistant", content: "", toolCalls: [], streaming: true }]);
    stop.current = new AbortController();
    try {
      await postNdjson(
        `/api/agents/${encodeURIComponent(ref)}/chat/stream`,
        { message, history },
        (line) => {
          const e = line as ChatEvent;
          if (e.type === "text") updateLast((m) => ({ ...m, content: m.content + e.text }));
          else if (e.type === "tool") updateLast((m) => ({ ...m, toolCalls: [...m.toolCalls, e.call] }));
          else if (e.type === "done") updateLast((m) => ({ ...m, content: e.result.answer || m.content, toolCalls: e.result.toolCalls, usage: e.result.usage, streaming: false }));
          else if (e.type === "error") updateLast((m) => ({ ...m, error: e.error.message, streaming: false }));
        },
        stop.current.signal,
      );
    } catch (error) {
      updateLast((m) => ({ ...m, error: error instanceof Error ? error.message : String(error) }));
    } finally {
      updateLast((m) => ({ ...m, streaming: false }));
      setBusy(false);
    }
  };

  if (agent.error) return <ErrorAlert error={agent.error} />;
  if (agent.isPending) return <LoadingRows rows={2} />;
  return (
    <Stack>
      <Group justify="space-between">
        <Title order={2}>Chat with {agent.data.name}</Title>
        <Anchor component={Link} to="/agents">
          All agents
        </Anchor>
      </Group>
      {agent.data.description ? <Text>{agent.data.description}</Text> : null}
      <Stack role="log" aria-label="Conversation" gap="sm">
        {messages.length === 0 ? <Text c="dimmed">Ask something: the agent answers, calling its tools ({agent.data.tools.join(", ") || "none"}) when it needs them.</Text> : null}
        {messages.map((m, i) => (
          <Card key={i} withBorder padding="sm" bg={m.role === "user" ? "var(--mantine-color-gray-0)" : undefined} aria-label={m.role === "user" ? "You" : agent.data.name}>
            <Text size="xs" fw={600} mb={4}>
              {m.role === "user" ? "You" : agent.data.name}
            </Text>
            {m.toolCalls.length > 0 ? (
              <Stack gap={4} mb="xs" aria-label="Tool calls">
                {m.toolCalls.map((c, n) => (
                  <ToolCallLine key={n} call={c} />
                ))}
              </Stack>
            ) : null}
            <Text style={{ whiteSpace: "pre-wrap" }} data-testid={m.role === "assistant" ? "answer" : undefined}>
              {m.content}
              {m.streaming ? "▍" : null}
            </Text>
            {m.error ? (
              <Text c="red" size="sm" role="alert">
                {m.error}
              </Text>
            ) : null}
            {m.usage ? (
              <Text size="xs" c="dimmed" mt={4}>
                {m.usage.totalTokens} tokens
              </Text>
            ) : null}
          </Card>
        ))}
      </Stack>
      <Card withBorder component="form" aria-label="Send a message" onSubmit={(e: React.FormEvent) => (e.preventDefault(), void send())}>
        <Stack gap="xs">
          <Textarea
            label="Message"
            autosize
            minRows={2}
            value={draft}
            onChange={(e) => setDraft(e.currentTarget.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && !e.shiftKey) {
                e.preventDefault();
                void send();
              }
            }}
          />
          <Group>
            <Button type="submit" loading={busy} disabled={!draft.trim()}>
              Send
            </Button>
            {busy ? (
              <Button variant="subtle" onClick={() => stop.current?.abort()}>
                Stop
              </Button>
            ) : null}
            {messages.length > 0 && !busy ? (
              <Button variant="subtle" onClick={() => setMessages([])}>
                New conversation
              </Button>
            ) : null}
          </Group>
        </Stack>
      </Card>
    </Stack>
  );
}
