// grpc_receiver.js: a test OTLP/gRPC receiver (@grpc/grpc-js server, h2c; messages decoded by the
// OpenTelemetry JS protobuf root; google.rpc error details from the official googleapis files).
// Prints `listening <port>`, then one JSON line per call. Faults are consumed one per call:
//   node grpc_receiver.js [--faults unavailable,resource_exhausted:retry=1,resource_exhausted,
//                                   invalid_argument,partial:3,hang,reset,refused,ok] [--port N]
// reset tears the HTTP/2 connection down under the call (no GOAWAY, as a crashed or restarted
// collector or a proxy does); refused answers the call's stream with RST_STREAM REFUSED_STREAM.
'use strict';
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protobuf = require('protobufjs');
const { TYPES, RESPONSES, normal, countPoints } = require('./otlp_norm');

// grpc-js creates its node http2 server through this module's createServer: wrapping it is the
// one way to reach the connections and streams under a call without grpc-js internals.
const http2 = require('http2');
const sessions = new Set();
let lastStream = null;
const createServer = http2.createServer;
http2.createServer = (...a) => {
  const srv = createServer(...a);
  srv.on('session', (ss) => {
    sessions.add(ss);
    ss.on('close', () => sessions.delete(ss));
    ss.on('stream', (st) => { lastStream = st; });
  });
  return srv;
};

const args = process.argv.slice(2);
const faults = args.includes('--faults') && args[args.indexOf('--faults') + 1]
  ? args[args.indexOf('--faults') + 1].split(',').filter(Boolean) : [];
const gpf = path.dirname(require.resolve('google-proto-files/package.json'));
const rpc = new protobuf.Root();
rpc.resolvePath = (_o, t) => path.join(gpf, t);
rpc.loadSync(['google/rpc/status.proto', 'google/rpc/error_details.proto']);
const Status = rpc.lookupType('google.rpc.Status');
const RetryInfo = rpc.lookupType('google.rpc.RetryInfo');
const hung = [];
let seq = 0;

function countSpans(req) {
  let n = 0;
  for (const rs of req.resourceSpans || [])
    for (const ss of rs.scopeSpans || []) n += (ss.spans || []).length;
  return n;
}

function statusError(code, message, retrySeconds) {
  const md = new grpc.Metadata();
  const details = [];
  if (retrySeconds !== undefined) {
    details.push({ type_url: 'type.googleapis.com/google.rpc.RetryInfo',
      value: RetryInfo.encode({ retryDelay: { seconds: retrySeconds, nanos: 0 } }).finish() });
  }
  md.set('grpc-status-details-bin', Buffer.from(Status.encode(Status.fromObject(
    { code, message, details })).finish()));
  return { code, details: message, metadata: md };
}

function handler(signal) {
  return (call, callback) => {
    const fault = faults.length ? faults.shift() : 'ok';
    const req = normal(signal, call.request);
    const line = { n: ++seq, t: Date.now(), fault, path: call.getPath(),
      metadata: call.metadata.getMap(), request: req };
    if (signal === 'traces') line.spans = countSpans(req);
    else line.points = countPoints(req);
    process.stdout.write(JSON.stringify(line) + '\n');
    const [what, opt] = fault.split(':');
    const R = RESPONSES[signal];
    switch (what) {
      case 'hang': return hung.push(callback);
      case 'reset': for (const ss of sessions) ss.destroy(); return undefined;
      case 'refused':
        if (lastStream) lastStream.close(http2.constants.NGHTTP2_REFUSED_STREAM);
        return undefined;
      case 'unavailable': return callback(statusError(grpc.status.UNAVAILABLE, 'try later'));
      case 'invalid_argument': return callback(statusError(grpc.status.INVALID_ARGUMENT, 'bad'));
      case 'resource_exhausted':
        return callback(statusError(grpc.status.RESOURCE_EXHAUSTED, 'slow down',
          opt ? Number(opt.split('=')[1]) : undefined));
      case 'partial':
        return callback(null, R.fromObject({ partialSuccess: signal === 'traces'
          ? { rejectedSpans: Number(opt), errorMessage: 'rejected some' }
          : { rejectedDataPoints: Number(opt), errorMessage: 'rejected some' } }));
      default: return callback(null, R.fromObject({}));
    }
  };
}

function service(signal, name) {
  const Req = TYPES[signal], Res = RESPONSES[signal];
  return { Export: { path: `/opentelemetry.proto.collector.${name}/Export`,
    requestStream: false, responseStream: false,
    requestSerialize: (m) => Buffer.from(Req.encode(m).finish()),
    requestDeserialize: (b) => Req.decode(b),
    responseSerialize: (m) => Buffer.from(Res.encode(m).finish()),
    responseDeserialize: (b) => Res.decode(b) } };
}

const server = new grpc.Server();
server.addService(service('traces', 'trace.v1.TraceService'), { Export: handler('traces') });
server.addService(service('metrics', 'metrics.v1.MetricsService'), { Export: handler('metrics') });
const fixedPort = args.includes('--port') ? Number(args[args.indexOf('--port') + 1]) : 0;
server.bindAsync(`127.0.0.1:${fixedPort}`, grpc.ServerCredentials.createInsecure(), (err, port) => {
  if (err) { console.error(err.message); process.exit(3); }
  process.stdout.write(`listening ${port}\n`);
});
process.on('SIGTERM', () => { server.forceShutdown(); process.exit(0); });
