// The official OpenSearch client against the test cluster (tests/e2e/opensearch_receiver.py), after
// Hydrant delivered documents to it: the client must accept every answer (info, count, get, bulk)
// and read back what Hydrant indexed. Usage: node opensearch_client_check.mjs URL INDEX DOC_ID
import { Client } from "@opensearch-project/opensearch";

const [url, index, id] = process.argv.slice(2);
const client = new Client({ node: url });
const info = await client.info();
const count = await client.count({ index });
const doc = await client.get({ index, id });
const bulk = await client.bulk({ body: [{ index: { _index: "client-check", _id: "1" } }, { from: "the client" }] });
let missing = null;
try {
  await client.get({ index, id: "no-such-document" });
} catch (e) {
  missing = e.meta?.statusCode ?? String(e);
}
console.log(JSON.stringify({
  distribution: info.body.version.distribution,
  count: count.body.count,
  found: doc.body.found,
  source: doc.body._source,
  bulk_errors: bulk.body.errors,
  bulk_status: bulk.body.items[0].index.status,
  missing_status: missing,
}));
