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
import { RunPage } from "./pages/run.js";
import { HistoryPage } from "./pages/history.js";
import { cssVariablesResolver, theme } from "./theme.js";

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


// The pages people use every day are in the first bundle; the admin and build pages (and the
// libraries only they use: QR codes, cron descriptions, the run form, charts, Monaco) load
// with their page.
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
      { path: "/logs", lazy: async () => ({ Component: (await import("./pages/logs.js")).LogsPage }), errorElement: <RouteError /> },
      { path: "/users", lazy: async () => ({ Component: (await import("./pages/users.js")).UsersPage }), errorElement: <RouteError /> },
      { path: "/config", lazy: async () => ({ Component: (await import("./pages/config.js")).ConfigPage }), errorElement: <RouteError /> },
      { path: "/schedules", lazy: async () => ({ Component: (await import("./pages/schedules.js")).SchedulesPage }), errorElement: <RouteError /> },
      { path: "/organizations", lazy: async () => ({ Component: (await import("./pages/organizations.js")).OrganizationsPage }), errorElement: <RouteError /> },
      { path: "/roles", lazy: async () => ({ Component: (await import("./pages/roles.js")).RolesPage }), errorElement: <RouteError /> },
      { path: "/audit", lazy: async () => ({ Component: (await import("./pages/audit.js")).AuditPage }), errorElement: <RouteError /> },
      { path: "/endpoint-keys", lazy: async () => ({ Component: (await import("./pages/endpoint-keys.js")).EndpointKeysPage }), errorElement: <RouteError /> },
      { path: "/account/api-keys", lazy: async () => ({ Component: (await import("./pages/api-keys.js")).ApiKeysPage }), errorElement: <RouteError /> },
      { path: "/account/security", lazy: async () => ({ Component: (await import("./pages/security.js")).SecurityPage }), errorElement: <RouteError /> },
      // The chart library loads with its page only.
      // Monaco and the TypeScript service load with the editor page only.
      { path: "/editor", lazy: async () => ({ Component: (await import("./pages/editor.js")).EditorPage }), errorElement: <RouteError /> },
      { path: "/roi", lazy: async () => ({ Component: (await import("./pages/roi.js")).RoiPage }), errorElement: <RouteError /> },
      { path: "/tables", lazy: async () => ({ Component: (await import("./pages/tables.js")).TablesPage }), errorElement: <RouteError /> },
      { path: "/tables/:table", lazy: async () => ({ Component: (await import("./pages/tables.js")).TablePage }), errorElement: <RouteError /> },
      { path: "/knowledge", lazy: async () => ({ Component: (await import("./pages/knowledge.js")).KnowledgePage }), errorElement: <RouteError /> },
      // The builder's preview is the run form (rjsf): loaded with its page only.
      { path: "/custom-forms", lazy: async () => ({ Component: (await import("./pages/form-builder.js")).CustomFormsAdminPage }), errorElement: <RouteError /> },
      { path: "/custom-forms/:id", lazy: async () => ({ Component: (await import("./pages/form-builder.js")).FormBuilderPage }), errorElement: <RouteError /> },
      { path: "/integrations", lazy: async () => ({ Component: (await import("./pages/integrations.js")).IntegrationsPage }), errorElement: <RouteError /> },
      { path: "/integrations/:name", lazy: async () => ({ Component: (await import("./pages/integrations.js")).IntegrationPage }), errorElement: <RouteError /> },
      { path: "/ai", lazy: async () => ({ Component: (await import("./pages/ai.js")).AiProvidersPage }), errorElement: <RouteError /> },
      { path: "/agents", lazy: async () => ({ Component: (await import("./pages/agents.js")).AgentsPage }), errorElement: <RouteError /> },
      { path: "/agents/:ref/chat", lazy: async () => ({ Component: (await import("./pages/agent-chat.js")).AgentChatPage }), errorElement: <RouteError /> },
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
