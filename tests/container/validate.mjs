// validate.mjs: every Kubernetes object in the given YAML files (or "-" for stdin) must
// validate against the official schemas (npm kubernetes-models); exits 1 naming the first
// object and field that does not. Unknown kinds are errors too: nothing passes unchecked.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

async function modelFor(apiVersion, kind) {
	const mod = await import(`kubernetes-models/${apiVersion}`).catch(() => null);
	return mod && mod[kind];
}

let count = 0, bad = 0;
for (const file of process.argv.slice(2)) {
	const text = readFileSync(file === "-" ? 0 : file, "utf8");
	for (const doc of parseAllDocuments(text)) {
		if (doc.errors.length) {
			console.error(`${file}: YAML: ${doc.errors[0].message}`);
			bad++;
			continue;
		}
		const obj = doc.toJS();
		if (obj === null || obj === undefined)
			continue;
		const where = `${file}: ${obj.kind}/${obj.metadata && obj.metadata.name}`;
		const Model = await modelFor(obj.apiVersion, obj.kind);
		if (!Model) {
			console.error(`${where}: no schema for ${obj.apiVersion} ${obj.kind}`);
			bad++;
			continue;
		}
		try {
			// Raw JSON, as the API server would receive it: the model adds nothing first.
			new Model(JSON.parse(JSON.stringify(obj))).validate();
			count++;
		} catch (e) {
			console.error(`${where}: ${e.message.split("\n").slice(0, 4).join(" | ")}`);
			bad++;
		}
	}
}
console.log(`validate: ${count} object(s) valid, ${bad} invalid`);
process.exit(bad || count === 0 ? 1 : 0);
