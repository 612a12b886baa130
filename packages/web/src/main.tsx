import "@mantine/core/styles.css";
import "@mantine/notifications/styles.css";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { MantineProvider } from "@mantine/core";
import { Notifications } from "@mantine/notifications";
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { ApiError } from "./lib/api.js";
import { createBrowserRouter, RouterProvider } from "react-router";
import { Layout } from "./components/layout.js";
import { RouteError } from "./components/route-error.js";
import { OrgProvider } from "./lib/session.js";
import { LoginPage } from "./pages/login.js";
import { InvitePage, SetupPage } from "./pages/setup.js";
import { HomePage } from "./pages/home.js";
import { WorkflowsPage } from "./pages/workflows.js";
import { FormsPage } from "./pages/forms.js";
import { SchedulesPage } from "./pages/schedules.js";
import { ConfigPage } from "./pages/config.js";
import { UsersPage } from "./pages/users.js";
import { RunPage } from "./pages/run.js";
import { HistoryPage } from "./pages/history.js";
import { OrganizationsPage } from "./pages/organizations.js";
import { RolesPage } from "./pages/roles.js";
import { ApiKeysPage } from "./pages/api-keys.js";
import { AuditPage } from "./pages/audit.js";
import { EndpointKeysPage } from "./pages/endpoint-keys.js";
import { SecurityPage } from "./pages/security.js";
import { cssVariablesResolver, theme } from "./theme.js";
import { LogsPage } from "./pages/logs.js";
import { TablePage, TablesPage } from "./pages/tables.js";
import { KnowledgePage } from "./pages/knowledge.js";
import { IntegrationPage, IntegrationsPage } from "./pages/integrations.js";
import { AiProvidersPage } from "./pages/ai.js";
import { AgentsPage } from "./pages/agents.js";
import { AgentChatPage } from "./pages/agent-chat.js";

// A session that ends while a page is open (idle timeout, sign-out elsewhere, a disabled
// user): any 401 re-asks who is signed in, and the frame sends the browser to sign in.
const sessionEnded = (error: unknown) => {
  if (error instanceof ApiError && error.status === 401) void client.invalidateQueries({ queryKey: ["me"] });
};
const client: QueryClient = new QueryClient({
  // (Not for the "me" query itself: its 401 is the answer the frame acts on.)
  queryCache: new QueryCache({ onError: (error, query) => query.queryKey[0] !== "me" && sessionEnded(error) }),
  mutationCache: new MutationCache({ onError: sessionEnded }),
  defaultOptions: { queries: { retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 1, refetchOnWindowFocus: false } },
});


const router = createBrowserRouter([
  { path: "/login", element: <LoginPage />, errorElement: <RouteError /> },
  { path: "/setup", element: <SetupPage />, errorElement: <RouteError /> },
  { path: "/invite", element: <InvitePage />, errorElement: <RouteError /> },
  {
    element: <Layout />,
    errorElement: <RouteError />,
    children: [
      { index: true, element: <HomePage />, errorElement: <RouteError /> },
      { path: "/workflows", element: <WorkflowsPage />, errorElement: <RouteError /> },
      // The run form (rjsf + ajv) is most of the bundle: loaded with its page only.
      { path: "/workflows/:name", lazy: async () => ({ Component: (await import("./pages/workflow.js")).WorkflowPage }), errorElement: <RouteError /> },
      { path: "/forms", element: <FormsPage />, errorElement: <RouteError /> },
      { path: "/forms/custom/:id", lazy: async () => ({ Component: (await import("./pages/form.js")).CustomFormPage }), errorElement: <RouteError /> },
      { path: "/forms/:name", lazy: async () => ({ Component: (await import("./pages/form.js")).FormPage }), errorElement: <RouteError /> },
      { path: "/runs/:id", element: <RunPage />, errorElement: <RouteError /> },
      { path: "/history", element: <HistoryPage />, errorElement: <RouteError /> },
      { path: "/logs", element: <LogsPage />, errorElement: <RouteError /> },
      { path: "/users", element: <UsersPage />, errorElement: <RouteError /> },
      { path: "/config", element: <ConfigPage />, errorElement: <RouteError /> },
      { path: "/schedules", element: <SchedulesPage />, errorElement: <RouteError /> },
      { path: "/organizations", element: <OrganizationsPage />, errorElement: <RouteError /> },
      { path: "/roles", element: <RolesPage />, errorElement: <RouteError /> },
      { path: "/audit", element: <AuditPage />, errorElement: <RouteError /> },
      { path: "/endpoint-keys", element: <EndpointKeysPage />, errorElement: <RouteError /> },
      { path: "/account/api-keys", element: <ApiKeysPage />, errorElement: <RouteError /> },
      { path: "/account/security", element: <SecurityPage />, errorElement: <RouteError /> },
      // The chart library loads with its page only.
      // Monaco and the TypeScript service load with the editor page only.
      { path: "/editor", lazy: async () => ({ Component: (await import("./pages/editor.js")).EditorPage }), errorElement: <RouteError /> },
      { path: "/roi", lazy: async () => ({ Component: (await import("./pages/roi.js")).RoiPage }), errorElement: <RouteError /> },
      { path: "/tables", element: <TablesPage />, errorElement: <RouteError /> },
      { path: "/tables/:table", element: <TablePage />, errorElement: <RouteError /> },
      { path: "/knowledge", element: <KnowledgePage />, errorElement: <RouteError /> },
      // The builder's preview is the run form (rjsf): loaded with its page only.
      { path: "/custom-forms", lazy: async () => ({ Component: (await import("./pages/form-builder.js")).CustomFormsAdminPage }), errorElement: <RouteError /> },
      { path: "/custom-forms/:id", lazy: async () => ({ Component: (await import("./pages/form-builder.js")).FormBuilderPage }), errorElement: <RouteError /> },
      { path: "/integrations", element: <IntegrationsPage />, errorElement: <RouteError /> },
      { path: "/integrations/:name", element: <IntegrationPage />, errorElement: <RouteError /> },
      { path: "/ai", element: <AiProvidersPage />, errorElement: <RouteError /> },
      { path: "/agents", element: <AgentsPage />, errorElement: <RouteError /> },
      { path: "/agents/:ref/chat", element: <AgentChatPage />, errorElement: <RouteError /> },
      { path: "*", element: <RouteError notFound /> },
    ],
  },
]);

createRoot(document.getElementById("root")!).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <Notifications />
      <QueryClientProvider client={client}>
        <OrgProvider>
          <RouterProvider router={router} />
        </OrgProvider>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
