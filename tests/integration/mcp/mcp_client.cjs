// An agent's view of medic through the official MCP TypeScript SDK (@modelcontextprotocol/sdk from
// npm), over stdio (`medic mcp`, started by the SDK) and over Streamable HTTP (the daemon's /mcp),
// against a real `medic watch` protecting a real container. Run by mcp_test.cc.
//
// Usage: node mcp_client.cjs <npm-dir> <medic-binary> <state-dir> <base-url> <token> <service> <container>
// What it checks, on both transports: initialize (negotiated version, server info), the tool list
// (every tool with input and output schemas and annotations), status citing evidence; then `docker rm -f` of the container: the same claim
// rejected with the contradicting evidence and gate 6 failing, a subscription to
// medic://services/<service> told of the change and seeing the recovery, gate 6 passing again;
// `recover` refused without the token (stdio --read-only, HTTP without Authorization) and done
// with it. The SDK itself checks every structured result against the tool's output schema.
// Prints one line per check; exit 0 when all pass. Every request goes to 127.0.0.1.
'use strict';
const path = require('path');
const { execFileSync } = require('child_process');
const { createRequire } = require('module');

const [npmDir, medic, stateDir, baseUrl, token, service, container] = process.argv.slice(2);
if (!container) {
  console.error('usage: node mcp_client.cjs <npm-dir> <medic> <state-dir> <base-url> <token> <service> <container>');
  process.exit(2);
}
const sdk = createRequire(path.join(path.resolve(npmDir), 'package.json'));
const { Client } = sdk('@modelcontextprotocol/sdk/client/index.js');
const { StdioClientTransport } = sdk('@modelcontextprotocol/sdk/client/stdio.js');
const { StreamableHTTPClientTransport } = sdk('@modelcontextprotocol/sdk/client/streamableHttp.js');
const { ResourceUpdatedNotificationSchema } = sdk('@modelcontextprotocol/sdk/types.js');
const sdkVersion = JSON.parse(require('fs').readFileSync(
  path.join(path.resolve(npmDir), 'node_modules/@modelcontextprotocol/sdk/package.json'), 'utf8')).version;

let failures = 0;
function check(ok, what, detail) {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}${detail ? ': ' + detail : ''}`);
  if (!ok) failures++;
  return ok;
}
async function until(fn, timeoutMs, stepMs = 200) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v || Date.now() > end) return v;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

async function connect(kind, withToken) {
  const client = new Client({ name: 'medic-mcp-test', version: '1.0.0' });
  let transport;
  if (kind === 'stdio') {
    const args = ['mcp', '--state-dir', stateDir];
    if (!withToken) args.push('--read-only');
    transport = new StdioClientTransport({ command: medic, args, stderr: 'inherit' });
  } else {
    const headers = withToken ? { Authorization: `Bearer ${token}` } : {};
    transport = new StreamableHTTPClientTransport(new URL(baseUrl + '/mcp'), { requestInit: { headers } });
  }
  await client.connect(transport);
  client.label = `${kind}${withToken ? '' : ' (no token)'}`;
  client.updates = [];
  client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => client.updates.push(n.params.uri));
  return client;
}

function text(result) {
  return (result.content || []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
}

async function claim(c) {
  return c.callTool({ name: 'claim', arguments: { text: `${service} is healthy`, service, max_age: '60s' } });
}

async function serviceState(c) {
  const r = await c.readResource({ uri: `medic://services/${service}` });
  return JSON.parse(r.contents[0].text);
}

async function main() {
  console.log(`@modelcontextprotocol/sdk ${sdkVersion} on node ${process.version}`);
  const stdio = await connect('stdio', true);
  const http = await connect('http', true);
  const stdioReadOnly = await connect('stdio', false);
  const httpNoToken = await connect('http', false);
  const agents = [stdio, http];

  for (const c of agents) {
    const info = c.getServerVersion();
    check(info && info.name === 'medic', `${c.label}: initialize names the server`, JSON.stringify(info));
    check(c.getServerCapabilities().resources?.subscribe === true, `${c.label}: resources can be subscribed`);
    const { tools } = await c.listTools();
    const names = tools.map((t) => t.name).sort();
    check(
      JSON.stringify(names) ===
        JSON.stringify(['baseline_diff', 'claim', 'confirm_deploy', 'deploy', 'evidence', 'gate', 'incidents',
          'maintenance', 'recover', 'reject_deploy', 'service', 'status']),
      `${c.label}: tools/list has the 12 tools`, names.join(','));
    check(tools.every((t) => t.inputSchema?.type === 'object' && t.outputSchema?.type === 'object'),
      `${c.label}: every tool has input and output schemas`);
    const recover = tools.find((t) => t.name === 'recover');
    const status = tools.find((t) => t.name === 'status');
    check(recover.annotations.destructiveHint === true && recover.annotations.readOnlyHint === false &&
          status.annotations.readOnlyHint === true, `${c.label}: annotations say what changes the host`);
    await c.subscribeResource({ uri: `medic://services/${service}` });
  }
  // The HTTP transport negotiated the current spec (the SDK sends it as MCP-Protocol-Version).
  check(http.transport.protocolVersion === '2025-11-25', 'http: negotiated protocol 2025-11-25',
    http.transport.protocolVersion);

  const status = await stdio.callTool({ name: 'status', arguments: {} });
  const mine = status.structuredContent.services.find((s) => s.name === service);
  check(mine && mine.evidence.length > 0 && text(status).includes(mine.evidence[0]),
    'status cites the evidence of each state', text(status));

  // The outage of the incident: the container is removed.
  execFileSync('docker', ['rm', '-f', container], { stdio: 'ignore' });
  for (const c of agents) {
    const r = await claim(c);
    const s = r.structuredContent || {};
    check(!r.isError && s.verdict === 'rejected' && s.evidence.length > 0 && s.contradicting &&
          s.contradicting.kind === 'docker_state' && typeof s.evidence_ages[0].age_seconds === 'number',
      `${c.label}: "${service} is healthy" rejected after docker rm -f, citing the contradicting record`,
      text(r));
    const ev = await c.callTool({ name: 'evidence', arguments: { id: s.evidence[0] } });
    check(!ev.isError && ev.structuredContent.id === s.evidence[0] && ev.structuredContent.service === service,
      `${c.label}: the cited evidence resolves`, text(ev).split('\n')[0]);
  }
  const failed = await http.callTool({ name: 'gate', arguments: { phase: 6 } });
  const failing = (failed.structuredContent?.checks || []).filter((k) => !k.pass);
  check(!failed.isError && failed.structuredContent.pass === false && failing.length > 0 &&
        failing.every((k) => k.evidence.length > 0),
    'gate 6 fails while it is removed, each failing check with evidence', text(failed));

  // Both subscriptions see the recovery: an update arrives and the resource then reads healthy.
  for (const c of agents) {
    // The resource is read only when a notification arrives: polling it would find the recovery
    // even if no notification came.
    let seen = 0;
    const recovered = await until(async () => {
      if (c.updates.length === seen) return false;
      seen = c.updates.length;
      return (await serviceState(c)).state === 'healthy';
    }, 60000, 50);
    check(recovered && c.updates.includes(`medic://services/${service}`),
      `${c.label}: the subscription saw the recovery`, `${c.updates.length} update(s)`);
  }
  const passed = await stdio.callTool({ name: 'gate', arguments: { phase: 6 } });
  check(!passed.isError && passed.structuredContent.pass === true, 'gate 6 passes once it is restored', text(passed));

  for (const c of [stdioReadOnly, httpNoToken]) {
    const r = await c.callTool({ name: 'recover', arguments: { service } });
    check(r.isError === true && /token/.test(text(r)), `${c.label}: recover refused without the token`, text(r));
  }
  for (const c of agents) {
    const r = await c.callTool({ name: 'recover', arguments: { service } });
    check(!r.isError && r.structuredContent.accepted === true && r.structuredContent.service === service,
      `${c.label}: recover done with the token`, text(r));
  }
  for (const c of [stdio, http, stdioReadOnly, httpNoToken]) await c.close();
}

main().then(
  () => {
    if (failures === 0) console.log('all mcp checks passed');
    process.exit(failures === 0 ? 0 : 1);
  },
  (e) => {
    console.log(`FAIL ${e && e.stack ? e.stack : e}`);
    process.exit(1);
  });
