import { useEffect } from "react";
import { AppShell, Avatar, Burger, Group, Menu, NavLink, ScrollArea, Select, Text, Title, UnstyledButton } from "@mantine/core";
import { useDisclosure, useMediaQuery } from "@mantine/hooks";
import { useQueryClient } from "@tanstack/react-query";
import { Link, Navigate, Outlet, useLocation, useNavigate } from "react-router";
import { api, ApiError } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { LoadingRows, ErrorAlert } from "./states.js";
import { PageBoundary } from "./page-boundary.js";

type Level = "platformAdmin" | "mspMember" | "orgAdmin" | "orgMember";
const ADMINS: Level[] = ["platformAdmin", "orgAdmin"];
const STAFF: Level[] = ["platformAdmin", "mspMember", "orgAdmin"];
const PLATFORM: Level[] = ["platformAdmin"];

/** The navigation, in sections; an entry with `levels` is shown to those levels only (the API refuses the rest anyway). */
const NAV: { section: string | null; entries: { to: string; label: string; levels?: Level[] }[] }[] = [
  {
    section: null,
    entries: [
      { to: "/", label: "Home" },
      { to: "/workflows", label: "Workflows" },
      { to: "/forms", label: "Forms" },
      { to: "/history", label: "History" },
      { to: "/agents", label: "Agents" },
      { to: "/roi", label: "ROI" },
    ],
  },
  {
    section: "Build",
    entries: [
      { to: "/editor", label: "Editor", levels: STAFF },
      { to: "/tables", label: "Tables", levels: STAFF },
      { to: "/knowledge", label: "Knowledge", levels: STAFF },
      { to: "/integrations", label: "Integrations", levels: STAFF },
      { to: "/custom-forms", label: "Form builder", levels: PLATFORM },
    ],
  },
  {
    section: "Administer",
    entries: [
      { to: "/schedules", label: "Schedules", levels: ADMINS },
      { to: "/config", label: "Config", levels: ADMINS },
      { to: "/users", label: "Users", levels: ADMINS },
      { to: "/organizations", label: "Organizations", levels: ADMINS },
      { to: "/roles", label: "Roles", levels: ADMINS },
      { to: "/endpoint-keys", label: "Endpoint keys", levels: ADMINS },
      { to: "/ai", label: "AI providers", levels: PLATFORM },
      { to: "/audit", label: "Audit log", levels: ADMINS },
      { to: "/logs", label: "Log search", levels: ADMINS },
    ],
  },
];

function OrgSwitcher({ organizations }: { organizations: { id: string; name: string }[] }) {
  const { org, setOrg } = useOrg();
  return (
    <Select
      aria-label="Organization"
      placeholder="All organizations"
      data={[{ value: "", label: "All organizations" }, ...organizations.map((o) => ({ value: o.id, label: o.name }))]}
      value={org ?? ""}
      onChange={(v) => setOrg(v || null)}
      allowDeselect={false}
      w={{ base: 150, sm: 220 }}
      comboboxProps={{ withinPortal: true }}
    />
  );
}

/** The signed-in frame: header (organization, user menu), navigation, and the page. */
export function Layout() {
  const me = useMe();
  const location = useLocation();
  const navigate = useNavigate();
  const client = useQueryClient();
  const { setOrg } = useOrg();
  // On a phone the navigation folds into a burger menu; following a link folds it again.
  const [navOpen, nav] = useDisclosure(false);
  // Folded away, its links must not take the keyboard's focus either.
  const folded = useMediaQuery("(max-width: 47.99em)") && !navOpen;
  useEffect(() => nav.close(), [location.pathname]); // eslint-disable-line react-hooks/exhaustive-deps

  if (me.isPending) return <LoadingRows rows={3} />;
  if (me.error instanceof ApiError && me.error.status === 401) {
    return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  }
  if (me.error) return <ErrorAlert error={me.error} />;
  const who = me.data;
  const actsAnywhere = who.level === "platformAdmin" || who.level === "mspMember";
  const name = who.user?.name ?? "API key";

  const signOut = async () => {
    await api("/api/auth/logout", { method: "POST", org: null }).catch(() => undefined);
    setOrg(null);
    client.clear();
    navigate("/login", { replace: true });
  };

  return (
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: "sm", collapsed: { mobile: !navOpen } }} padding="md">
      <AppShell.Header>
        <Group h="100%" px={{ base: "xs", sm: "md" }} justify="space-between" wrap="nowrap">
          <Group gap="xs" wrap="nowrap">
            <Burger opened={navOpen} onClick={nav.toggle} hiddenFrom="sm" size="sm" aria-label={navOpen ? "Close navigation" : "Open navigation"} aria-expanded={navOpen} aria-controls="main-navigation" />
            <Title order={3}>Bifrost</Title>
          </Group>
          <Group gap="xs" wrap="nowrap">
            {actsAnywhere ? <OrgSwitcher organizations={who.organizations} /> : <Text size="sm">{who.organizations[0]?.name}</Text>}
            <Menu position="bottom-end">
              <Menu.Target>
                <UnstyledButton aria-label={`User menu of ${name}`}>
                  <Group gap="xs">
                    {/* No initial in it: the button's visible text is the name alone, as its label says. */}
                    <Avatar size="sm" radius="xl" color="blue" aria-hidden />
                    <Text size="sm" visibleFrom="sm">
                      {name}
                    </Text>
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{who.user?.email ?? who.level}</Menu.Label>
                <Menu.Item component={Link} to="/account/api-keys">
                  API keys
                </Menu.Item>
                {who.user ? (
                  <Menu.Item component={Link} to="/account/security">
                    Two-factor sign-in
                  </Menu.Item>
                ) : null}
                <Menu.Item onClick={() => void signOut()}>Sign out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main" id="main-navigation" inert={folded || undefined} style={folded ? { visibility: "hidden" } : undefined}>
        <AppShell.Section grow component={ScrollArea}>
          {NAV.map(({ section, entries }) => {
            const shown = entries.filter((n) => !n.levels || n.levels.includes(who.level as Level));
            if (shown.length === 0) return null;
            return (
              <div key={section ?? "main"}>
                {section ? (
                  <Text size="xs" fw={700} tt="uppercase" c="dimmed" px="sm" pt="md" pb={4}>
                    {section}
                  </Text>
                ) : null}
                {shown.map((n) => (
                  <NavLink key={n.to} component={Link} to={n.to} label={n.label} variant="filled" active={n.to === "/" ? location.pathname === "/" : location.pathname.startsWith(n.to)} />
                ))}
              </div>
            );
          })}
        </AppShell.Section>
      </AppShell.Navbar>
      <AppShell.Main>
        <PageBoundary resetKey={location.pathname}>
          <Outlet />
        </PageBoundary>
      </AppShell.Main>
    </AppShell>
  );
}
