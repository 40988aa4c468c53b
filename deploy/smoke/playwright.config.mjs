// Smoke tests against a deployed environment: BASE_URL=https://docchat-staging.contoso.com
import { defineConfig, devices } from "@playwright/test";

if (!process.env.BASE_URL) {
  throw new Error("BASE_URL must be set to the environment's https:// address");
}

export default defineConfig({
  testDir: ".",
  testMatch: "*.spec.mjs",
  timeout: 60_000,
  retries: 2, // a fresh rollout may still be warming up behind the gateway
  reporter: [["list"], ["html", { open: "never", outputFolder: "playwright-report" }]],
  use: {
    baseURL: process.env.BASE_URL,
    ignoreHTTPSErrors: false,
    trace: "retain-on-failure",
  },
  projects: [{ name: "chromium", use: { ...devices["Desktop Chrome"] } }],
});
