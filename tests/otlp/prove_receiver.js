// prove_receiver.js: proves a test receiver with an independent producer, the official
// OpenTelemetry JS SDK exporter: every span it sends must be decoded exactly.
//   node prove_receiver.js http   receiver.js against exporter-trace-otlp-proto (gzip, a 503)
//   node prove_receiver.js grpc   grpc_receiver.js against exporter-trace-otlp-grpc (gzip; the
//                                 SDK does not retry within a flush, so no fault; grpc-js
//                                 hides grpc-encoding from the handler, so it is not checked)
'use strict';
const { spawn } = require('child_process');
const path = require('path');
const { BasicTracerProvider, BatchSpanProcessor } = require('@opentelemetry/sdk-trace-base');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const N = 25;
const GRPC = process.argv[2] === 'grpc';

let rx = null;

async function main() {
  rx = spawn(process.execPath, [path.join(__dirname, GRPC ? 'grpc_receiver.js' : 'receiver.js'),
    '--faults', GRPC ? 'invalid_argument' : '503'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = [];
  let buf = '';
  const port = await new Promise((resolve) => rx.stdout.on('data', (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const l = buf.slice(0, i); buf = buf.slice(i + 1);
      if (l.startsWith('listening ')) resolve(Number(l.split(' ')[1])); else lines.push(JSON.parse(l));
    }
  }));
  let exporter;
  if (GRPC) {
    process.env.OTEL_EXPORTER_OTLP_TRACES_HEADERS = 'x-proof=sdk';
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-grpc');
    exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}`, compression: 'gzip' });
  } else {
    const { OTLPTraceExporter } = require('@opentelemetry/exporter-trace-otlp-proto');
    exporter = new OTLPTraceExporter({ url: `http://127.0.0.1:${port}/v1/traces`,
      headers: { 'x-proof': 'sdk' }, compression: 'gzip' });
  }
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'proof-svc', 'proof.int': 7 }),
    spanProcessors: [new BatchSpanProcessor(exporter, { maxExportBatchSize: 10 })],
  });
  const tracer = provider.getTracer('proof-scope', '1.2.3');
  const sent = new Map();
  for (let i = 0; i < N; i++) {
    const s = tracer.startSpan(`span-${i}`, { kind: 1, attributes: { 'i': i, 'http.route': `/r/${i}` } });
    s.end();
    sent.set(s.spanContext().spanId, { traceId: s.spanContext().traceId, i });
  }
  // The injected fault makes one export fail on purpose; when that export is the one a flush
  // waits for, the flush rejects with it. What arrived is checked below either way.
  try { await provider.forceFlush(); } catch (e) { console.log('flush: ' + (e && e.code)); }
  try { await provider.shutdown(); } catch (e) { console.log('shutdown: ' + (e && e.code)); }
  rx.kill('SIGTERM');
  await new Promise((r) => rx.on('exit', r));
  let ok = 0, bad = 0;
  const seen = new Set();
  const check = (cond, what) => { if (cond) ok++; else { bad++; console.log('FAIL ' + what); } };
  check(lines.length >= 2 && lines[0].fault === (GRPC ? 'invalid_argument' : '503'),
    'first request got the injected fault');
  check(GRPC || lines.every((l) => l.encoding === 'gzip'), 'gzip');
  check(lines.every((l) => (GRPC ? l.metadata : l.headers)['x-proof'] === 'sdk'), 'headers');
  // The faulted first request is not counted (an SDK gives up on INVALID_ARGUMENT).
  const delivered = lines.slice(1);
  const expect = GRPC ? N - lines[0].spans : N;
  for (const l of delivered) {
    for (const rs of l.request.resourceSpans) {
      const attrs = Object.fromEntries(rs.resource.attributes.map((a) => [a.key, a.value]));
      check(attrs['service.name'].stringValue === 'proof-svc', 'resource service.name');
      check(attrs['proof.int'].intValue === '7', 'resource int attribute as string');
      for (const ss of rs.scopeSpans) {
        check(ss.scope.name === 'proof-scope' && ss.scope.version === '1.2.3', 'scope');
        for (const sp of ss.spans) {
          const want = sent.get(sp.spanId);
          check(want && want.traceId === sp.traceId && sp.name === `span-${want.i}`, 'ids + name');
          check(sp.kind === 2, 'kind SERVER (SDK 1 + 1)');
          check(sp.attributes.find((a) => a.key === 'i').value.intValue === String(want.i), 'attr');
          check(!seen.has(sp.spanId), 'each span once'); seen.add(sp.spanId);
        }
      }
    }
  }
  check(seen.size === expect && expect >= N - 10, `all ${expect} spans arrived (got ${seen.size})`);
  console.log(`prove_receiver ${GRPC ? 'grpc' : 'http'}: ${ok} passed, ${bad} failed`);
  process.exit(bad ? 1 : 0);
}
main().catch((e) => {
  console.log('prove_receiver: ' + (e && e.stack ? e.stack : JSON.stringify(e)));
  if (rx) rx.kill('SIGTERM'); // never leave the receiver behind
  process.exit(1);
});
