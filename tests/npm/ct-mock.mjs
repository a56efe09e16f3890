// SPDX-License-Identifier: MIT
// Runs @labdigital/commercetools-mock as a real HTTP server on 127.0.0.1.
//
//   node ct-mock.mjs --port-file FILE --pid-file FILE [--port N] [--project KEY]
//
// Writes its PID to --pid-file at start and, once listening, the port to
// --port-file (atomically, via rename).  SIGTERM or SIGINT stops it.
//
// URL shapes: the mock's Fastify app serves the OAuth routes under /oauth
// and every project under /{projectKey}, on the same origin.  So for a
// credvault record:
//
//   auth_url = http://127.0.0.1:PORT      -> token: POST {auth_url}/oauth/token
//   api_url  = http://127.0.0.1:PORT      -> API:   GET  {api_url}/{projectKey}/products
//
// With enableAuthentication and validateCredentials on, every project
// route needs "Authorization: Bearer T" for a token T this mock issued
// (401 invalid_token otherwise), and the token endpoint needs HTTP Basic
// credentials.  The mock accepts ANY client id and secret; use
// tests/fakes/fake_oauth.py for checking secrets and counting requests.
//
// Scope shim: the mock (4.4.0, src/oauth/server.ts tokenHandler) reads
// "scope" only from the query string and otherwise answers scope "todo".
// commercetools itself, and oauth2-mint, send it in the form body.  A
// preValidation hook copies a body scope into the query when the query
// has none, so the mock echoes the scope that was asked for.
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { CommercetoolsMock } from "@labdigital/commercetools-mock";

const { values } = parseArgs({
	options: {
		"port-file": { type: "string" },
		"pid-file": { type: "string" },
		port: { type: "string", default: "0" },
		project: { type: "string", default: "demo" },
	},
	strict: true,
});

function writeAtomic(path, text) {
	const tmp = `${path}.tmp.${process.pid}`;
	writeFileSync(tmp, text, { mode: 0o600 });
	renameSync(tmp, path);
}

if (!values["port-file"] || !values["pid-file"]) {
	process.stderr.write("usage: node ct-mock.mjs --port-file FILE --pid-file FILE [--port N] [--project KEY]\n");
	process.exit(2);
}
const port = Number.parseInt(values.port, 10);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
	process.stderr.write(`ct-mock: bad --port "${values.port}"\n`);
	process.exit(2);
}

writeAtomic(values["pid-file"], `${process.pid}\n`);

const mock = new CommercetoolsMock({
	enableAuthentication: true,
	validateCredentials: true,
	defaultProjectKey: values.project,
	silent: true,
});

mock.app.addHook("preValidation", async (request) => {
	if (request.method !== "POST" || !request.url.startsWith("/oauth/token")) {
		return;
	}
	const body = request.body;
	if (body && typeof body.scope === "string" && request.query &&
	    request.query.scope === undefined) {
		request.query.scope = body.scope;
	}
});

let stopping = false;
async function stop() {
	if (stopping) return;
	stopping = true;
	try {
		await mock.app.close();
	} finally {
		process.exit(0);
	}
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);

// A test killed before its cleanup ran must not leave us behind.  Node 20
// reads process.ppid once, so ask the kernel each time.
function currentPpid() {
	try {
		const stat = readFileSync("/proc/self/stat", "utf8");
		return Number.parseInt(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1], 10);
	} catch {
		return process.ppid;
	}
}
const parent = currentPpid();
setInterval(() => {
	if (currentPpid() !== parent) stop();
}, 500).unref();

try {
	// Never runServer(): it listens on 0.0.0.0.
	await mock.app.listen({ port, host: "127.0.0.1" });
} catch (err) {
	process.stderr.write(`ct-mock: cannot listen on 127.0.0.1:${port}: ${err.message}\n`);
	process.exit(1);
}
writeAtomic(values["port-file"], `${mock.app.server.address().port}\n`);
