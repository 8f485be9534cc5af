// hydrant-bench-parse: the decode ceiling of the ingest hot path. Google Benchmark of
// api::ParsePutRequest (simdjson on-demand + base64 into one buffer, what the server runs on
// every PutRecord/PutRecordBatch body) and of Base64Decode alone, on hydrant-loadgen's own
// bodies. bytes_per_second counts request body bytes; the "payload" counter decoded record bytes.
#include <benchmark/benchmark.h>

#include <iterator>
#include <string>
#include <vector>

#include "api/put_request_parser.h"
#include "workload.h"
#include "common/base64.h"

namespace {

using hydrant::bench::Operation;

struct Shape {
  const char* name;
  Operation op;
  size_t records;
  size_t size;
};
// The matrix's request shapes (bench/matrix.py).
constexpr Shape kShapes[] = {
    {"batch-500x100B", Operation::kPutRecordBatch, 500, 100},
    {"batch-500x1KiB", Operation::kPutRecordBatch, 500, 1024},
    {"batch-10x100KiB", Operation::kPutRecordBatch, 10, 100 * 1024},
    {"single-1KiB", Operation::kPutRecord, 1, 1024},
};

std::string Body(const Shape& shape) {
  hydrant::bench::WorkloadSpec spec;
  spec.op = shape.op;
  spec.streams = {"bench"};
  spec.records_per_request = shape.records;
  spec.record_size = shape.size;
  spec.variants = 1;
  auto workload = hydrant::bench::Workload::Build(spec);
  return std::string(workload.prefix(0)) + std::string(workload.records(0)) +
         std::string(workload.suffix());
}

void BM_ParsePutRequest(benchmark::State& state) {
  const Shape& shape = kShapes[state.range(0)];
  std::string body = Body(shape);
  body.reserve(body.size() + 64);  // simdjson's padding, as the server's body buffer has
  hydrant::api::ParsedPut parsed;
  for (auto _ : state) {
    auto status = hydrant::api::ParsePutRequest(body, shape.op == Operation::kPutRecordBatch, &parsed);
    if (!status.ok()) state.SkipWithError("parse failed");
    benchmark::DoNotOptimize(parsed.data.data());
  }
  state.SetLabel(shape.name);
  state.SetBytesProcessed(state.iterations() * body.size());
  state.counters["payload"] = benchmark::Counter(
      static_cast<double>(state.iterations() * shape.records * shape.size),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
  state.counters["records"] = benchmark::Counter(
      static_cast<double>(state.iterations() * shape.records), benchmark::Counter::kIsRate);
}

// Base64 alone: the same records' encoded strings, without the JSON around them.
void BM_Base64Decode(benchmark::State& state) {
  const Shape& shape = kShapes[state.range(0)];
  std::string body = Body(shape);
  hydrant::api::ParsedPut parsed;
  if (!hydrant::api::ParsePutRequest(body, shape.op == Operation::kPutRecordBatch, &parsed).ok()) {
    state.SkipWithError("parse failed");
    return;
  }
  std::vector<std::string> encoded;
  size_t encoded_bytes = 0;
  for (std::string_view record : parsed.records) {
    encoded.push_back(hydrant::Base64Encode(record));
    encoded_bytes += encoded.back().size();
  }
  std::string out;
  out.reserve(encoded_bytes);
  for (auto _ : state) {
    out.clear();
    for (const std::string& e : encoded) {
      if (!hydrant::Base64Decode(e, &out)) state.SkipWithError("decode failed");
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetLabel(shape.name);
  state.SetBytesProcessed(state.iterations() * encoded_bytes);
  state.counters["payload"] = benchmark::Counter(
      static_cast<double>(state.iterations() * shape.records * shape.size),
      benchmark::Counter::kIsRate, benchmark::Counter::kIs1024);
}

}  // namespace

BENCHMARK(BM_ParsePutRequest)->DenseRange(0, std::size(kShapes) - 1);
BENCHMARK(BM_Base64Decode)->DenseRange(0, std::size(kShapes) - 1);
BENCHMARK_MAIN();
