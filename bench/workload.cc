// Builds the generator's request bodies and scans server responses.
#include "workload.h"

#include <cstdio>

#include "common/base64.h"
#include "sigv4.h"

namespace hydrant::bench {
namespace {

uint64_t SplitMix64(uint64_t* state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

constexpr const char* kActions[] = {"login", "logout", "view", "click", "purchase", "search"};
constexpr const char* kWords[] = {
    "alpha", "bravo",  "charlie", "delta", "echo",   "foxtrot", "golf",   "hotel",
    "india", "juliet", "kilo",    "lima",  "mike",   "november", "oscar", "papa",
    "quebec", "romeo", "sierra",  "tango", "uniform", "victor", "whiskey", "xray",
    "yankee", "zulu",  "session", "cart",  "checkout", "mobile", "desktop", "retry"};
constexpr int kStatuses[] = {200, 200, 200, 201, 204, 301, 404, 500};

template <typename T, size_t N>
const T& Pick(const T (&items)[N], uint64_t* rng) {
  return items[SplitMix64(rng) % N];
}

}  // namespace

std::string_view OperationName(Operation op) {
  return op == Operation::kPutRecord ? "PutRecord" : "PutRecordBatch";
}

std::string MakeRecord(uint64_t seq, size_t size, uint64_t* rng) {
  char head[192];
  const int n = std::snprintf(
      head, sizeof(head),
      R"({"ts":%llu,"user":"u%llu","action":"%s","status":%d,"ms":%llu,"pad":")",
      static_cast<unsigned long long>(1764250000000ULL + seq * 7),
      static_cast<unsigned long long>(SplitMix64(rng) % 10000), Pick(kActions, rng),
      Pick(kStatuses, rng), static_cast<unsigned long long>(SplitMix64(rng) % 2000));
  std::string out(head, static_cast<size_t>(n));
  constexpr std::string_view kTail = "\"}\n";
  if (size < out.size() + kTail.size()) {
    out.resize(size, ' ');  // may also grow by up to 2 bytes
    if (size > 0) out.back() = '\n';
    return out;
  }
  const size_t pad_end = size - kTail.size();
  while (out.size() < pad_end) {
    out.append(Pick(kWords, rng)).push_back(' ');
  }
  out.resize(pad_end);
  out.append(kTail);
  return out;
}

Workload Workload::Build(const WorkloadSpec& spec) {
  Workload w;
  const bool batch = spec.op == Operation::kPutRecordBatch;
  w.records_per_request_ = batch ? spec.records_per_request : 1;
  w.record_size_ = spec.record_size;
  for (const std::string& name : spec.streams) {
    w.prefixes_.push_back(R"({"DeliveryStreamName":")" + name +
                          (batch ? R"(","Records":[)" : R"(","Record":)"));
  }
  w.suffix_ = batch ? "]}" : "}";

  uint64_t rng = spec.seed;
  uint64_t seq = 0;
  for (size_t v = 0; v < spec.variants; ++v) {
    std::string records;
    for (size_t i = 0; i < w.records_per_request_; ++i) {
      if (i > 0) records.push_back(',');
      records.append(R"({"Data":")");
      records.append(Base64Encode(MakeRecord(seq++, spec.record_size, &rng)));
      records.append(R"("})");
    }
    w.records_.push_back(std::move(records));
  }
  for (size_t b = 0; b < w.bodies(); ++b) {
    w.body_hashes_.push_back(Sha256Hex({w.prefix(b), w.records(b), w.suffix()}));
  }
  return w;
}

std::optional<uint64_t> FindFailedPutCount(std::string_view body) {
  constexpr std::string_view kKey = "\"FailedPutCount\"";
  size_t i = body.find(kKey);
  if (i == std::string_view::npos) return std::nullopt;
  i += kKey.size();
  auto skip_blanks = [&] {
    while (i < body.size() && (body[i] == ' ' || body[i] == '\t' || body[i] == '\r' ||
                               body[i] == '\n')) {
      ++i;
    }
  };
  skip_blanks();
  if (i >= body.size() || body[i] != ':') return std::nullopt;
  ++i;
  skip_blanks();
  if (i >= body.size() || body[i] < '0' || body[i] > '9') return std::nullopt;
  uint64_t value = 0;
  for (; i < body.size() && body[i] >= '0' && body[i] <= '9'; ++i) {
    value = value * 10 + static_cast<uint64_t>(body[i] - '0');
  }
  return value;
}

}  // namespace hydrant::bench
