// decode.js: `node decode.js traces|metrics pb|json FILE` prints the request in otlp_norm's form.
'use strict';
const fs = require('fs');
const { decode, normal } = require('./otlp_norm');

const [signal, fmt, file] = process.argv.slice(2);
try {
  const msg = decode(signal, fs.readFileSync(file), fmt === 'json');
  process.stdout.write(JSON.stringify(normal(signal, msg)) + '\n');
} catch (e) {
  process.stderr.write(`decode.js: ${e.message}\n`);
  process.exit(1);
}
