// Reads a Parquet file with three independent readers and prints what each returns, as JSON:
// {"duckdb": rows, "hyparquet": rows, "arrow": rows}. DuckDB (@duckdb/node-api), hyparquet (with
// hyparquet-compressors) and parquet-wasm (arrow-rs, read through apache-arrow). Values are made
// comparable: integers and decimals as strings, timestamps as ISO-8601 UTC with microseconds,
// binary as hex, maps as [key, value] pairs in file order.
// Usage: node parquet_read.mjs FILE.parquet
import { readFileSync } from "node:fs";
import { DuckDBInstance } from "@duckdb/node-api";
import { parquetReadObjects } from "hyparquet";
import { compressors } from "hyparquet-compressors";
import * as parquetWasm from "parquet-wasm";
import { tableFromIPC } from "apache-arrow";

const file = process.argv[2];
const bytes = readFileSync(file);

function plain(v) {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return v.toString();
  if (v instanceof Date) return v.toISOString();
  if (v instanceof Uint8Array) return { hex: Buffer.from(v).toString("hex") };
  if (v instanceof Map) return [...v.entries()].map(([k, x]) => [plain(k), plain(x)]);
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && typeof v.toJSON === "function" && !(v instanceof Date)) return plain(v.toJSON());
  if (typeof v === "object" && typeof v[Symbol.iterator] === "function") return [...v].map(plain);
  if (typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

const out = {};
const duck = await DuckDBInstance.create();
const connection = await duck.connect();
const reader = await connection.runAndReadAll(`SELECT * FROM read_parquet('${file.replaceAll("'", "''")}')`);
out.duckdb = reader.getRowObjectsJson();
out.hyparquet = plain(await parquetReadObjects({ file: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length), compressors }));
const table = tableFromIPC(parquetWasm.readParquet(new Uint8Array(bytes)).intoIPCStream());
out.arrow = table.toArray().map((row) => plain(row.toJSON()));
out.arrow_types = table.schema.fields.map((f) => `${f.name}: ${f.type}`);
console.log(JSON.stringify(out, null, 1));
