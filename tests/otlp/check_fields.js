// check_fields.js: compares every field of proto/ (ours) with the official OTLP .proto files shipped
// in @opentelemetry/otlp-grpc-exporter-base (number, type, label); exits 1 on any disagreement.
'use strict';
const path = require('path');
const protobuf = require('protobufjs');

const repo = path.resolve(__dirname, '../..');
const official = path.join(__dirname,
  'node_modules/@opentelemetry/otlp-grpc-exporter-base/build/protos');
const files = ['common/v1/common.proto', 'resource/v1/resource.proto', 'trace/v1/trace.proto',
  'metrics/v1/metrics.proto', 'collector/trace/v1/trace_service.proto',
  'collector/metrics/v1/metrics_service.proto'].map((f) => 'opentelemetry/proto/' + f);

function load(dir) {
  const root = new protobuf.Root();
  root.resolvePath = (_origin, target) => path.join(dir, target);
  root.loadSync(files, { keepCase: true });
  root.resolveAll();
  return root;
}

function types(ns, out) {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type || n instanceof protobuf.Enum) out.push(n);
    if (n.nestedArray) types(n, out);
  }
  return out;
}

const ours = load(path.join(repo, 'proto'));
const theirs = load(official);
let bad = 0, checked = 0, newer = 0;
for (const t of types(ours, [])) {
  let o;
  try { o = theirs.lookup(t.fullName); } catch (e) { o = null; }
  if (!o) { console.log(`only ours (newer than the shipped spec): ${t.fullName}`); newer++; continue; }
  if (t instanceof protobuf.Enum) {
    for (const [k, v] of Object.entries(t.values)) {
      checked++;
      if (k in o.values && o.values[k] !== v) { console.log(`MISMATCH ${t.fullName}.${k}`); bad++; }
    }
    continue;
  }
  for (const f of t.fieldsArray) {
    const g = o.fields[f.name];
    checked++;
    if (!g) { console.log(`only ours (newer than the shipped spec): ${t.fullName}.${f.name} = ${f.id}`); newer++; continue; }
    const a = `${f.id} ${f.type} ${f.repeated}`, b = `${g.id} ${g.type} ${g.repeated}`;
    if (a !== b) { console.log(`MISMATCH ${t.fullName}.${f.name}: ours ${a}, official ${b}`); bad++; }
  }
  for (const g of o.fieldsArray) {
    if (!t.fields[g.name]) console.log(`not used by us: ${t.fullName}.${g.name} = ${g.id}`);
  }
}
// The gRPC error details: ours (one file) against the official googleapis files.
const gpf = path.dirname(require.resolve('google-proto-files/package.json'));
const g = new protobuf.Root();
g.resolvePath = (_o, t) => path.join(gpf, t);
g.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto'], { keepCase: true });
const mine = new protobuf.Root();
mine.resolvePath = (_o, t) => path.join(repo, 'proto', t);
mine.loadSync('obi/grpc_status.proto', { keepCase: true });
const pairs = [['google.rpc.Status', 'google.rpc.Status'], ['google.rpc.RetryInfo', 'google.rpc.RetryInfo'],
  ['google.rpc.Any', 'google.protobuf.Any'], ['google.rpc.Duration', 'google.protobuf.Duration']];
for (const [a, b] of pairs) {
  const t = mine.lookupType(a), o = g.lookupType(b);
  for (const f of t.fieldsArray) {
    const x = o.fields[f.name];
    const same = x && x.id === f.id && x.repeated === f.repeated &&
      (x.type === f.type || x.resolvedType && f.resolvedType &&
       x.resolvedType.name === f.resolvedType.name);
    checked++;
    if (!same) { console.log(`MISMATCH ${a}.${f.name} vs ${b}`); bad++; }
  }
}
console.log(`check_fields: ${checked - bad} passed, ${bad} failed (${newer} newer than the shipped files)`);
process.exit(bad ? 1 : 0);
