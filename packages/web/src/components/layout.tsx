import { AppShell, Avatar, Group, Menu, NavLink, Select, Text, Title, UnstyledButton } from "@mantine/core";
import { useQueryClient } from "@tanstack/react-query";
import { Link, Navigate, Outlet, useLocation, useNavigate } from "react-router";
import { api, ApiError } from "../lib/api.js";
import { useMe, useOrg } from "../lib/session.js";
import { LoadingRows, ErrorAlert } from "./states.js";
import { PageBoundary } from "./page-boundary.js";

const NAV = [
  { to: "/", label: "Home" },
  { to: "/workflows", label: "Workflows" },
  { to: "/forms", label: "Forms" },
  { to: "/history", label: "History" },
  { to: "/schedules", label: "Schedules" },
  { to: "/roi", label: "ROI" },
  { to: "/config", label: "Config" },
  { to: "/users", label: "Users", admins: true },
  { to: "/editor", label: "Editor", staff: true },
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
      w={220}
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
    <AppShell header={{ height: 56 }} navbar={{ width: 200, breakpoint: "sm" }} padding="md">
      <AppShell.Header>
        <Group h="100%" px="md" justify="space-between">
          <Title order={3}>Bifrost</Title>
          <Group>
            {actsAnywhere ? <OrgSwitcher organizations={who.organizations} /> : <Text size="sm">{who.organizations[0]?.name}</Text>}
            <Menu position="bottom-end">
              <Menu.Target>
                <UnstyledButton aria-label={`User menu of ${name}`}>
                  <Group gap="xs">
                    {/* No initial in it: the button's visible text is the name alone, as its label says. */}
                    <Avatar size="sm" radius="xl" color="blue" aria-hidden />
                    <Text size="sm">{name}</Text>
                  </Group>
                </UnstyledButton>
              </Menu.Target>
              <Menu.Dropdown>
                <Menu.Label>{who.user?.email ?? who.level}</Menu.Label>
                <Menu.Item onClick={() => void signOut()}>Sign out</Menu.Item>
              </Menu.Dropdown>
            </Menu>
          </Group>
        </Group>
      </AppShell.Header>
      <AppShell.Navbar p="xs" aria-label="Main">
        {NAV.filter((n) => (!("admins" in n) || who.level === "platformAdmin" || who.level === "orgAdmin") && (!("staff" in n) || who.level !== "orgMember")).map((n) => (
          <NavLink key={n.to} component={Link} to={n.to} label={n.label} active={n.to === "/" ? location.pathname === "/" : location.pathname.startsWith(n.to)} />
        ))}
      </AppShell.Navbar>
      <AppShell.Main>
        <PageBoundary resetKey={location.pathname}>
          <Outlet />
        </PageBoundary>
      </AppShell.Main>
    </AppShell>
  );
}
