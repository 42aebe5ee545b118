import { defineConfig } from "@playwright/test";

// `cargo xtask test` builds the release server and sets these; the defaults
// suit running `npx playwright test` by hand after `cargo leptos build --release`.
const port = Number(process.env.PRIMARYPOINT_PORT ?? 3900);
const baseURL = `http://127.0.0.1:${port}`;
const bin = process.env.PRIMARYPOINT_BIN ?? `${process.env.HOME}/.cache/primarypoint/target/release/primarypoint`;

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  workers: 1,
  forbidOnly: !!process.env.CI,
  retries: 0,
  reporter: process.env.CI ? "line" : "list",
  use: {
    baseURL,
    trace: "retain-on-failure",
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
  projects: [
    { name: "javascript", use: { javaScriptEnabled: true } },
    { name: "no-javascript", use: { javaScriptEnabled: false } },
  ],
  webServer: {
    command: `${bin} serve`,
    url: `${baseURL}/readyz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    gracefulShutdown: { signal: "SIGTERM", timeout: 5_000 },
    env: {
      LISTEN_ADDR: `127.0.0.1:${port}`,
      PUBLIC_URL: baseURL,
      SITE_ROOT: process.env.SITE_ROOT ?? "../target/site",
      DATA_DIR: process.env.DATA_DIR ?? `/tmp/primarypoint-e2e-${port}`,
      RUST_LOG: "warn",
      TRUST_FORWARDED_FOR: "true",
    },
  },
});
