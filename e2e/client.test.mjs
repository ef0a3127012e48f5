// A client generated from the OpenAPI document works: openapi-typescript turns the served document
// into TypeScript types, a small program written against them (openapi-fetch) must type-check
// under `tsc --strict`, then runs against the api: it logs in, finds a poll and reads it.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { pathToFileURL } from "node:url";
import openapiTS, { astToString } from "openapi-typescript";

import { apiLogin, PASSWORD, ROOT, startStack } from "./harness.mjs";

// Inside the repository, so the program resolves openapi-fetch from node_modules.
const WORK = join(ROOT, "e2e", ".generated-client");

const PROGRAM = `
import createClient from "openapi-fetch";
import type { paths } from "./schema.js";

/** Logs in, lists the polls as staff, reads the first one as a participant would: its title. */
export async function readFirstPoll(baseUrl: string, email: string, password: string): Promise<string> {
  const client = createClient<paths>({ baseUrl });
  const login = await client.POST("/api/auth/login", { body: { email, password } });
  if (login.error || !login.data) throw new Error("login failed: " + login.response.status);
  const role: "admin" | "analyst" = login.data.user.role;
  const cookie = (login.response.headers.get("set-cookie") ?? "").split(";")[0];
  const polls = await client.GET("/api/admin/polls", { headers: { cookie } });
  if (polls.error || !polls.data || polls.data.length === 0) throw new Error("no polls for " + role);
  const slug: string = polls.data[0].slug;
  const poll = await client.GET("/api/polls/{slug}", { params: { path: { slug } } });
  if (poll.error || !poll.data) throw new Error("poll " + slug + ": " + poll.response.status);
  const questions: string[] = poll.data.questions.map((q) => q.var_name);
  return poll.data.title + " (" + questions.join(", ") + ")";
}
`;

let stack;
before(async () => {
  stack = await startStack("client");
  stack.createAccount("client@example.org", "admin");
  const { request } = await apiLogin(stack.baseURL, "client@example.org");
  const created = await request("/api/admin/polls", "POST", {
    title: "Generated client",
    questions: [{ var_name: "pid3" }, { var_name: "perf_judicial_ind" }],
  });
  assert.equal(created.status, 201);
  // Opened once: a poll that has never opened is not shown to the public.
  const { id } = await created.json();
  const opened = await request(`/api/admin/polls/${id}`, "PATCH", { is_open: true });
  assert.equal(opened.status, 200);
});

after(async () => {
  await stack?.stop();
  rmSync(WORK, { recursive: true, force: true });
});

test("a client generated from the OpenAPI document type-checks, logs in and reads a poll", async () => {
  const spec = await (await fetch(`${stack.baseURL}/api/openapi.json`)).json();
  rmSync(WORK, { recursive: true, force: true });
  mkdirSync(WORK, { recursive: true });
  writeFileSync(join(WORK, "schema.d.ts"), astToString(await openapiTS(spec)));
  writeFileSync(join(WORK, "client.ts"), PROGRAM);
  writeFileSync(join(WORK, "package.json"), '{"type": "module"}'); // compiled as an ES module
  // Type-check and compile: a field renamed or retyped in the document breaks this step.
  const tsc = join(ROOT, "node_modules", ".bin", "tsc");
  const options = ["--strict", "--target", "es2022", "--module", "nodenext", "--moduleResolution", "nodenext"];
  try {
    execFileSync(tsc, [...options, "--outDir", join(WORK, "out"), join(WORK, "client.ts")], { encoding: "utf8" });
  } catch (error) {
    assert.fail(`the generated client does not type-check:\n${error.stdout}${error.stderr}`);
  }
  const { readFirstPoll } = await import(pathToFileURL(join(WORK, "out", "client.js")).href);

  const read = await readFirstPoll(stack.baseURL, "client@example.org", PASSWORD);

  assert.equal(read, "Generated client (pid3, perf_judicial_ind)");
});
