// tests/k8s/validate.mjs: every object of the given List files (or of stdin, one List per line)
// validated against the official Kubernetes OpenAPI schemas (npm kubernetes-models).
import { readFileSync } from "node:fs";
import { PodList, ServiceList, NodeList } from "kubernetes-models/v1";
import { ReplicaSetList } from "kubernetes-models/apps/v1";
import { JobList } from "kubernetes-models/batch/v1";

const lists = { PodList, ServiceList, NodeList, ReplicaSetList, JobList };
let n = 0, bad = 0;

function check(text, where) {
  const doc = JSON.parse(text);
  const L = lists[doc.kind];
  if (!L) throw new Error(`${where}: not a known List kind: ${doc.kind}`);
  try {
    new L(doc).validate();
    n += doc.items.length;
  } catch (e) {
    bad++;
    console.error(`${where}: ${doc.kind}: ${e.message}`);
  }
}

const files = process.argv.slice(2);
if (files.length) files.forEach((f) => check(readFileSync(f, "utf8"), f));
else readFileSync(0, "utf8").split("\n").filter(Boolean).forEach((l, i) => check(l, `stdin:${i + 1}`));
console.log(JSON.stringify({ validated: n, invalid: bad }));
process.exit(bad ? 1 : 0);
