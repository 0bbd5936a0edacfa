// Validates docs/openapi.yaml with a real OpenAPI validator (swagger-parser) and, given a manifest
// of captured responses, each response body against the schema the spec gives for its path, method,
// status and content type (ajv, JSON Schema draft 7 with OpenAPI 3.0's `nullable`).
//
// Usage: node validate.cjs <npm-dir> <openapi.yaml> [manifest.json]
//   manifest: [{"method": "GET", "path": "/api/v1/services/web", "status": 200,
//                "content_type": "application/json", "body": "<raw body>"}, ...]
// Prints one line per check; exit 0 only when the spec and every response are valid.
'use strict';
const path = require('path');
const fs = require('fs');
const { createRequire } = require('module');

const [npmDir, specPath, manifestPath] = process.argv.slice(2);
if (!npmDir || !specPath) {
  console.error('usage: node validate.cjs <npm-dir> <openapi.yaml> [manifest.json]');
  process.exit(2);
}
const req = createRequire(path.join(path.resolve(npmDir), 'package.json'));
const SwaggerParser = req('@apidevtools/swagger-parser');
const Ajv = req('ajv');
const addFormats = req('ajv-formats');

// OpenAPI 3.0 `nullable: true` -> JSON Schema `anyOf: [{type: null}, <schema>]`; drops keywords
// that are OpenAPI-only annotations.
function toJsonSchema(s) {
  if (Array.isArray(s)) return s.map(toJsonSchema);
  if (s === null || typeof s !== 'object') return s;
  const out = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'nullable' || k === 'example' || k === 'xml' || k === 'externalDocs') continue;
    out[k] = (k === 'properties') ? Object.fromEntries(Object.entries(v).map(([pk, pv]) => [pk, toJsonSchema(pv)]))
                                  : toJsonSchema(v);
  }
  return s.nullable === true ? { anyOf: [{ type: 'null' }, out] } : out;
}

function matchPath(paths, actual) {
  const segs = actual.split('?')[0].split('/').filter(Boolean);
  for (const template of Object.keys(paths)) {
    const t = template.split('/').filter(Boolean);
    if (t.length !== segs.length) continue;
    if (t.every((p, i) => (p.startsWith('{') && p.endsWith('}')) || p === segs[i])) return template;
  }
  return null;
}

(async () => {
  let api;
  try {
    api = await SwaggerParser.validate(specPath);
  } catch (e) {
    console.log(`FAIL spec ${specPath}: ${e.message}`);
    process.exit(1);
  }
  console.log(`ok   spec ${specPath}: valid OpenAPI ${api.openapi}, ${Object.keys(api.paths).length} paths`);
  if (!manifestPath) return;

  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  const entries = JSON.parse(fs.readFileSync(manifestPath, 'utf8'));
  let failed = 0;
  for (const e of entries) {
    const label = `${e.method} ${e.path} -> ${e.status}`;
    const fail = (why) => { failed++; console.log(`FAIL ${label}: ${why}`); };
    const template = matchPath(api.paths, e.path);
    if (!template) { fail('path not in the spec'); continue; }
    const op = api.paths[template][e.method.toLowerCase()];
    if (!op) { fail(`method not in the spec for ${template}`); continue; }
    const resp = op.responses[String(e.status)];
    if (!resp) { fail(`status not documented for ${e.method} ${template}`); continue; }
    const ct = (e.content_type || '').split(';')[0].trim();
    const media = resp.content && resp.content[ct];
    if (!media) { fail(`content type '${ct}' not documented`); continue; }
    let body = e.body;
    if (ct === 'application/json') {
      try { body = JSON.parse(e.body); } catch (err) { fail(`body is not JSON: ${err.message}`); continue; }
    }
    const validate = ajv.compile(toJsonSchema(media.schema));
    if (validate(body)) {
      console.log(`ok   ${label} (${template})`);
    } else {
      fail(ajv.errorsText(validate.errors, { separator: '; ' }) + `\n     body: ${e.body.slice(0, 2000)}`);
    }
  }
  console.log(`${entries.length - failed}/${entries.length} responses match the spec`);
  process.exit(failed ? 1 : 0);
})();
