// prove_metrics.js: proves the test receivers' metrics decoding with an independent producer,
// the official OpenTelemetry JS SDK metrics exporters: a histogram and a counter recorded with
// known values must arrive with exactly those counts, buckets, sums and attributes.
//   node prove_metrics.js http   receiver.js against exporter-metrics-otlp-proto (gzip)
//   node prove_metrics.js grpc   grpc_receiver.js against exporter-metrics-otlp-grpc (gzip)
'use strict';
const { spawn } = require('child_process');
const path = require('path');
const { MeterProvider, PeriodicExportingMetricReader, AggregationTemporality, AggregationType } =
  require('@opentelemetry/sdk-metrics');
const { resourceFromAttributes } = require('@opentelemetry/resources');

const GRPC = process.argv[2] === 'grpc';
const BOUNDS = [0, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10];
const VALUES = [0, 0.005, 0.0051, 0.3, 10, 11]; // both sides of bucket edges, and past the last

let rx = null;

async function main() {
  rx = spawn(process.execPath, [path.join(__dirname, GRPC ? 'grpc_receiver.js' : 'receiver.js')],
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
  const opts = { compression: 'gzip', temporalityPreference: AggregationTemporality.DELTA };
  let exporter;
  if (GRPC) {
    const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-grpc');
    exporter = new OTLPMetricExporter({ url: `http://127.0.0.1:${port}`, ...opts });
  } else {
    const { OTLPMetricExporter } = require('@opentelemetry/exporter-metrics-otlp-proto');
    exporter = new OTLPMetricExporter({ url: `http://127.0.0.1:${port}/v1/metrics`, ...opts });
  }
  const reader = new PeriodicExportingMetricReader({ exporter, exportIntervalMillis: 3600000 });
  const provider = new MeterProvider({
    resource: resourceFromAttributes({ 'service.name': 'proof-svc' }),
    readers: [reader],
    views: [{ instrumentName: 'http.server.request.duration',
      aggregation: { type: AggregationType.EXPLICIT_BUCKET_HISTOGRAM,
        options: { boundaries: BOUNDS } } }],
  });
  const meter = provider.getMeter('proof-scope', '1.2.3');
  const h = meter.createHistogram('http.server.request.duration', { unit: 's' });
  const c = meter.createCounter('obi.proof.count');
  for (const v of VALUES) h.record(v, { 'http.request.method': 'GET', 'http.response.status_code': 200 });
  c.add(41, { k: 'v' });
  c.add(1, { k: 'v' });
  await reader.forceFlush();
  await provider.shutdown();
  rx.kill('SIGTERM');
  await new Promise((r) => rx.on('exit', r));

  let ok = 0, bad = 0;
  const check = (cond, what) => { if (cond) ok++; else { bad++; console.log('FAIL ' + what); } };
  const metrics = [];
  for (const l of lines)
    for (const rm of l.request.resourceMetrics || []) {
      const attrs = Object.fromEntries(rm.resource.attributes.map((a) => [a.key, a.value]));
      check(attrs['service.name'].stringValue === 'proof-svc', 'resource service.name');
      for (const sm of rm.scopeMetrics) {
        check(sm.scope.name === 'proof-scope' && sm.scope.version === '1.2.3', 'scope');
        metrics.push(...sm.metrics);
      }
    }
  check(lines.length >= 1 && lines.every((l) => l.points >= 1), 'points counted');
  check(GRPC || lines.every((l) => l.encoding === 'gzip'), 'gzip');
  const hm = metrics.find((m) => m.name === 'http.server.request.duration');
  const dp = hm && hm.histogram.dataPoints[0];
  check(dp && hm.histogram.aggregationTemporality === 1, 'histogram, delta');
  check(dp && dp.count === String(VALUES.length), 'count as string');
  const want = new Array(BOUNDS.length + 1).fill(0);
  for (const v of VALUES) { let i = BOUNDS.findIndex((b) => v <= b); want[i < 0 ? BOUNDS.length : i]++; }
  check(dp && JSON.stringify(dp.bucketCounts) === JSON.stringify(want.map(String)),
    `upper-inclusive buckets ${dp && dp.bucketCounts} vs ${want}`);
  check(dp && JSON.stringify(dp.explicitBounds) === JSON.stringify(BOUNDS), 'bounds');
  check(dp && Math.abs(dp.sum - VALUES.reduce((a, b) => a + b, 0)) < 1e-9, 'sum');
  check(dp && dp.min === 0 && dp.max === 11, 'min/max');
  check(dp && dp.attributes.find((a) => a.key === 'http.response.status_code').value.intValue === '200',
    'int attribute');
  const cm = metrics.find((m) => m.name === 'obi.proof.count');
  check(cm && cm.sum.isMonotonic && cm.sum.dataPoints[0].asDouble === 42, 'monotonic sum');
  console.log(`prove_metrics ${GRPC ? 'grpc' : 'http'}: ${ok} passed, ${bad} failed`);
  process.exit(bad ? 1 : 0);
}
main().catch((e) => {
  console.log('prove_metrics: ' + (e && e.stack ? e.stack : JSON.stringify(e)));
  if (rx) rx.kill('SIGTERM');
  process.exit(1);
});
