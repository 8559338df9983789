// receiver.js: a test OTLP/HTTP receiver (node http; decoding by the OpenTelemetry JS protobuf
// root). Prints `listening <port>`, then one JSON line per request. Faults are consumed in order,
// one per request, then every request gets 200:
//   node receiver.js [--faults 503,429:ra=1,429:date=2,400,413,hang,partial:3,200]
//                    [--tls CERT,KEY[,CLIENT_CA]]   (https; with CLIENT_CA, mTLS is required)
//                    [--port N]                     (default: any free port)
'use strict';
const fs = require('fs');
const http = require('http');
const https = require('https');
const zlib = require('zlib');
const { TYPES, RESPONSES, decode, normal, countPoints } = require('./otlp_norm');

const args = process.argv.slice(2);
const faults = (args[args.indexOf('--faults') + 1] && args.includes('--faults'))
  ? args[args.indexOf('--faults') + 1].split(',').filter(Boolean) : [];
const SIGNALS = { '/v1/traces': 'traces', '/v1/metrics': 'metrics' };
const hung = [];
let seq = 0;

function countSpans(req) {
  let n = 0;
  for (const rs of req.resourceSpans || [])
    for (const ss of rs.scopeSpans || []) n += (ss.spans || []).length;
  return n;
}

function reply(res, signal, json, code, extra, partial) {
  const headers = Object.assign({}, extra);
  let body = Buffer.alloc(0);
  if (code === 200) {
    const msg = partial ? { partialSuccess: signal === 'traces'
      ? { rejectedSpans: partial, errorMessage: 'some spans rejected\u0001' }
      : { rejectedDataPoints: partial, errorMessage: 'some points rejected' } } : {};
    const type = RESPONSES[signal];
    body = json ? Buffer.from(JSON.stringify(type.toObject(type.fromObject(msg), { longs: String })))
      : Buffer.from(type.encode(type.fromObject(msg)).finish());
    headers['Content-Type'] = json ? 'application/json' : 'application/x-protobuf';
  }
  res.writeHead(code, headers);
  res.end(body);
}

function handle(req, res, body) {
  const n = ++seq;
  const signal = SIGNALS[req.url];
  const fault = faults.length ? faults.shift() : '200';
  const line = { n, t: Date.now(), fault, path: req.url, method: req.method,
    contentType: req.headers['content-type'], encoding: req.headers['content-encoding'] || null,
    headers: req.headers, bytes: body.length };
  const json = (req.headers['content-type'] || '').startsWith('application/json');
  try {
    if (!signal || req.method !== 'POST') throw new Error('not an OTLP path');
    const raw = line.encoding === 'gzip' ? zlib.gunzipSync(body) : body;
    line.request = normal(signal, decode(signal, raw, json));
    if (signal === 'traces') line.spans = countSpans(line.request);
    else line.points = countPoints(line.request);
  } catch (e) {
    line.error = e.message;
    process.stdout.write(JSON.stringify(line) + '\n');
    return reply(res, signal || 'traces', json, 400, {});
  }
  process.stdout.write(JSON.stringify(line) + '\n');
  const [what, opt] = fault.split(':');
  if (what === 'hang') return hung.push(res);
  if (what === 'partial') return reply(res, signal, json, 200, {}, Number(opt));
  const extra = {};
  if (opt && opt.startsWith('ra=')) extra['Retry-After'] = opt.slice(3);
  if (opt && opt.startsWith('date=')) {
    extra['Retry-After'] = new Date(Date.now() + 1000 * Number(opt.slice(5))).toUTCString();
  }
  return reply(res, signal, json, Number(what) || 200, extra);
}

const onRequest = (req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => handle(req, res, Buffer.concat(chunks)));
};
const tls = args.includes('--tls') ? args[args.indexOf('--tls') + 1].split(',') : null;
const server = tls
  ? https.createServer({ cert: fs.readFileSync(tls[0]), key: fs.readFileSync(tls[1]),
    ca: tls[2] ? fs.readFileSync(tls[2]) : undefined,
    requestCert: !!tls[2], rejectUnauthorized: !!tls[2] }, onRequest)
  : http.createServer(onRequest);
// --port N: a fixed port (a collector started after its client, a port the protocol guess reads)
const fixedPort = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 0;
server.on('error', (e) => { console.error(e.message); process.exit(3); });
server.listen(fixedPort, '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});
process.on('SIGTERM', () => { hung.forEach((r) => r.destroy()); server.close(); process.exit(0); });
module.exports = { TYPES };
