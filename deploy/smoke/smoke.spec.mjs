// What must be true of every DocChat environment, checked from outside like a user's browser:
// TLS works, the proxy answers, nothing is served without signing in, and the edge sets the
// security headers. Signing in needs a real Entra user, so it is left to a person (docs/deploy.md).
import { expect, test } from "@playwright/test";

test("the auth proxy is up behind TLS", async ({ request }) => {
  const response = await request.get("/ping");
  expect(response.status()).toBe(200);
});

test("the app is not reachable without signing in", async ({ request }) => {
  for (const path of ["/", "/_stcore/health", "/_stcore/stream"]) {
    const response = await request.get(path, { maxRedirects: 0 });
    expect([302, 401, 403], `${path} answered ${response.status()}`).toContain(response.status());
  }
});

test("identity headers sent by a client are not trusted", async ({ request }) => {
  const response = await request.get("/", {
    maxRedirects: 0,
    headers: { "X-Auth-Request-Email": "admin@contoso.com", "X-Forwarded-Email": "admin@contoso.com" },
  });
  expect([302, 401, 403]).toContain(response.status());
});

test("the edge sets the security headers", async ({ request }) => {
  const response = await request.get("/", { maxRedirects: 0 });
  const headers = response.headers();
  expect(headers["strict-transport-security"]).toContain("max-age=");
  expect(headers["x-content-type-options"]).toBe("nosniff");
  expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
});

test("a browser is sent to Microsoft Entra ID to sign in", async ({ page }) => {
  await page.goto("/");
  await expect(page).toHaveURL(/login\.microsoftonline\.com/);
});
