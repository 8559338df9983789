// otlp_norm.js: decodes OTLP request bodies (protobuf or OTLP/JSON) with the OpenTelemetry JS
// protobuf root and prints one normal form (camelCase, hex ids, 64-bit ints as strings).
'use strict';
const root = require('@opentelemetry/otlp-transformer/build/src/generated/root.js');

const v1 = root.opentelemetry.proto.collector;
const TYPES = {
  traces: v1.trace.v1.ExportTraceServiceRequest,
  metrics: v1.metrics.v1.ExportMetricsServiceRequest,
};
const RESPONSES = {
  traces: v1.trace.v1.ExportTraceServiceResponse,
  metrics: v1.metrics.v1.ExportMetricsServiceResponse,
};
const ID_KEYS = new Set(['traceId', 'spanId', 'parentSpanId']);

function walk(v, fn) {
  if (Array.isArray(v)) return v.map((x) => walk(x, fn));
  if (v && typeof v === 'object' && !Buffer.isBuffer(v) && !(v instanceof Uint8Array)) {
    const o = {};
    for (const [k, x] of Object.entries(v)) o[k] = fn(k, walk(x, fn));
    return o;
  }
  return v;
}

// The OTLP/JSON mapping: ids are hex, not base64 (protobufjs' own JSON would be base64).
function fromJson(signal, text) {
  const obj = walk(JSON.parse(text), (k, x) => {
    if (!ID_KEYS.has(k)) return x;
    if (typeof x !== 'string' || !/^([0-9a-f]{2})*$/.test(x)) throw new Error(`bad hex id ${k}`);
    return Buffer.from(x, 'hex');
  });
  // No verify(): it rejects the mapping's int64-as-string. fromObject parses them; a key it does
  // not know is dropped, which the tests catch by comparing with the protobuf decoding.
  return TYPES[signal].fromObject(obj);
}

function decode(signal, body, json) {
  return json ? fromJson(signal, body.toString('utf8')) : TYPES[signal].decode(body);
}

function normal(signal, msg) {
  const obj = TYPES[signal].toObject(msg, { longs: String, enums: Number, bytes: Array });
  return walk(obj, (k, x) => (ID_KEYS.has(k) && Array.isArray(x)
    ? Buffer.from(x).toString('hex') : x));
}

// Data points of a normalised metrics request (every kind obi sends).
function countPoints(req) {
  let n = 0;
  for (const rm of req.resourceMetrics || [])
    for (const sm of rm.scopeMetrics || [])
      for (const m of sm.metrics || []) {
        const d = m.histogram || m.sum || m.gauge || m.exponentialHistogram;
        n += d && d.dataPoints ? d.dataPoints.length : 0;
      }
  return n;
}

module.exports = { TYPES, RESPONSES, decode, normal, countPoints };
