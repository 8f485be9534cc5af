// OpenSearchDelivery: bulk requests, index rotation, document ids and the bulk response's items.
#include "destination/opensearch/opensearch_delivery.h"

#include <fmt/format.h>

#include <boost/json.hpp>
#include <ctime>

#include "common/base64.h"
#include "common/sha256.h"
#include "destination/failed_record.h"

namespace hydrant::destination::opensearch {
namespace {

namespace json = boost::json;

struct BulkPayload final : Payload {
  std::vector<std::string> requests;  // whole bulk bodies
  std::vector<size_t> counts;         // records in each
  uint64_t bytes() const override {
    uint64_t total = 0;
    for (const std::string& r : requests) total += r.size();
    return total;
  }
};

// How much of a response an error message quotes.
constexpr size_t kQuotedBytes = 4096;

std::string Quote(const http::OutboundResponse& response) {
  std::string_view body = response.body;
  if (body.size() > kQuotedBytes) body = body.substr(0, kQuotedBytes);
  return fmt::format("{}: {}", response.status, body);
}

// A record as one line of source: trailing whitespace dropped; a record spread over lines is
// re-serialised on one (or, when it is not JSON, its line breaks become spaces: the cluster then
// refuses that item, and only it).
std::string SourceLine(std::string_view data) {
  while (!data.empty() && (data.back() == '\n' || data.back() == '\r' || data.back() == ' ' || data.back() == '\t')) {
    data.remove_suffix(1);
  }
  if (data.find_first_of("\r\n") == std::string_view::npos) return std::string(data);
  boost::system::error_code ec;
  json::value parsed = json::parse(data, ec);
  if (!ec) return json::serialize(parsed);
  std::string line(data);
  for (char& c : line) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return line;
}

}  // namespace

std::string RotatedIndex(std::string_view index, std::string_view rotation, int64_t arrival_millis) {
  const char* pattern = nullptr;
  if (rotation == "OneHour") pattern = "-%Y-%m-%d-%H";
  if (rotation == "OneDay") pattern = "-%Y-%m-%d";
  if (rotation == "OneWeek") pattern = "-%G-w%V";
  if (rotation == "OneMonth") pattern = "-%Y-%m";
  if (pattern == nullptr) return std::string(index);
  std::time_t seconds = static_cast<std::time_t>(arrival_millis / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char suffix[32];
  size_t n = std::strftime(suffix, sizeof(suffix), pattern, &utc);
  return std::string(index) + std::string(suffix, n);
}

std::string OpenSearchDelivery::IndexFor(int64_t arrival_millis) const {
  return RotatedIndex(config_.index_name, config_.rotation, arrival_millis);
}

std::string OpenSearchDelivery::DocumentId(const Record& record) const {
  if (!config_.document_ids) return "";
  return options_.document_id_prefix + std::string(record.record_id) + "." + std::to_string(record.subsequence);
}

std::string OpenSearchDelivery::Plan(const BatchFacts& facts) const { return std::string(facts.batch_id); }

Result<std::unique_ptr<Payload>> OpenSearchDelivery::Encode(std::string_view /*plan*/, std::span<const Record> records,
                                                            std::string* /*concatenated*/) const {
  auto payload = std::make_unique<BulkPayload>();
  std::string body, lines;
  size_t count = 0;
  // {"index":{"_index":...,"_id":...,"_type":...}}: written directly, with the index's part
  // escaped once per index (records of one batch mostly share it) and the type's once.
  std::string last_index, index_part;
  const std::string type_part =
      config_.type_name.empty() ? "" : ",\"_type\":" + json::serialize(json::string_view(config_.type_name));
  for (const Record& record : records) {
    std::string index = IndexFor(record.arrival_millis);
    if (index != last_index || index_part.empty()) {
      index_part = "{\"index\":{\"_index\":" + json::serialize(json::string_view(index));
      last_index = std::move(index);
    }
    lines = index_part;
    if (const std::string id = DocumentId(record); !id.empty()) {
      lines += ",\"_id\":";
      lines += json::serialize(json::string_view(id));
    }
    lines += type_part;
    lines += "}}\n";
    lines += SourceLine(record.data);
    lines += '\n';
    if (count > 0 && body.size() + lines.size() > options_.max_request_bytes) {
      payload->requests.push_back(std::move(body));
      payload->counts.push_back(count);
      body.clear();
      count = 0;
    }
    body += lines;
    ++count;
  }
  if (count > 0) {
    payload->requests.push_back(std::move(body));
    payload->counts.push_back(count);
  }
  return std::unique_ptr<Payload>(std::move(payload));
}

DeliveryResult ClassifyBulkResponse(const http::OutboundResponse& response, size_t count, std::string_view prefix) {
  using Transport = http::OutboundResponse::Transport;
  auto whole = [&](std::string code, std::string message) {
    return DeliveryResult{Outcome::kRetryable, std::string(prefix) + code, std::move(message)};
  };
  switch (response.transport) {
    case Transport::kOk: break;
    case Transport::kTimeout: return whole("RequestTimeout", response.transport_error);
    case Transport::kConnectFailed: return whole("ConnectionFailed", response.transport_error);
    case Transport::kFailed: return whole("ConnectionFailed", response.transport_error);
  }
  if (response.status == 401 || response.status == 403) return whole("AccessDenied", Quote(response));
  if (response.status == 404) return whole("ResourceNotFound", Quote(response));
  if (response.status == 413) return whole("RequestEntityTooLarge", Quote(response));
  if (response.status < 200 || response.status >= 300) return whole("ServiceException", Quote(response));
  boost::system::error_code ec;
  json::value parsed = json::parse(response.body, ec);
  const json::value* items = !ec && parsed.is_object() ? parsed.get_object().if_contains("items") : nullptr;
  if (!items || !items->is_array() || items->get_array().size() != count) {
    return whole("MalformedResponse", "The bulk response does not have one item per document. " + Quote(response));
  }
  DeliveryResult result;
  result.records.assign(count, Outcome::kDelivered);
  result.record_errors.resize(count);
  bool all_delivered = true, any_retryable = false;
  for (size_t i = 0; i < count; ++i) {
    const json::value& item = items->get_array()[i];
    // {"index": {..., "status": 201}} (or "create", "update", "delete": the one member).
    const json::object* fields = item.is_object() && item.get_object().size() == 1 &&
                                         item.get_object().begin()->value().is_object()
                                     ? &item.get_object().begin()->value().get_object()
                                     : nullptr;
    const json::value* status = fields ? fields->if_contains("status") : nullptr;
    if (!status || !status->is_int64()) {
      return whole("MalformedResponse", "A bulk response item has no status. " + Quote(response));
    }
    const int64_t code = status->get_int64();
    if (code >= 200 && code < 300) continue;
    all_delivered = false;
    const json::value* error = fields->if_contains("error");
    result.record_errors[i] = {std::to_string(code), error ? json::serialize(*error) : std::string()};
    if (code == 429 || code >= 500) {
      result.records[i] = Outcome::kRetryable;
      any_retryable = true;
    } else {
      result.records[i] = Outcome::kFailed;
    }
  }
  if (all_delivered) return {Outcome::kDelivered, "", ""};
  result.outcome = any_retryable ? Outcome::kRetryable : Outcome::kFailed;
  result.error_code = std::string(prefix) + "DocumentFailures";
  result.error_message = "The cluster refused some documents of the bulk request";
  return result;
}

DeliveryResult OpenSearchDelivery::Send(const Payload& payload) const {
  const auto& bulk = static_cast<const BulkPayload&>(payload);
  const std::string prefix = config_.flavor == Flavor::kElasticsearch ? "ES." : "OS.";
  const ClusterAccess& access = options_.access;
  std::string url = access.endpoint;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/_bulk";
  DeliveryResult total;
  size_t count = 0;
  for (size_t count_i : bulk.counts) count += count_i;
  total.records.assign(count, Outcome::kDelivered);
  total.record_errors.resize(count);
  bool all_delivered = true, any_retryable = false;
  size_t first = 0;
  for (size_t r = 0; r < bulk.requests.size(); ++r) {
    http::OutboundRequest request;
    request.method = "POST";
    request.url = url;
    request.body = bulk.requests[r];
    request.connect_timeout_ms = options_.connect_timeout_ms;
    request.timeout_ms = options_.request_timeout_ms;
    request.ca_bundle = options_.ca_bundle;
    request.skip_verify = options_.skip_verify;
    request.headers = {"Content-Type: application/x-ndjson"};
    if (!access.username.empty()) {
      request.headers.push_back("Authorization: Basic " + Base64Encode(access.username + ":" + access.password));
    }
    if (!access.sigv4_service.empty()) {
      request.sigv4 = "aws:amz:" + access.region + ":" + access.sigv4_service;
      request.access_key_id = access.access_key_id;
      request.secret_access_key = access.secret_access_key;
      // OpenSearch Serverless requires the payload hash header, which libcurl then signs.
      if (access.sigv4_service == "aoss") request.headers.push_back("x-amz-content-sha256: " + HexSha256(bulk.requests[r]));
    } else {
      // libcurl would otherwise wait for "100 Continue" before sending a large body. Not with
      // SigV4: libcurl 7.88 signs the emptied Expect header it then leaves out.
      request.headers.push_back("Expect:");
    }
    DeliveryResult one = ClassifyBulkResponse(client_->Send(request), bulk.counts[r], prefix);
    for (size_t i = 0; i < bulk.counts[r]; ++i) {
      const Outcome outcome = one.records.empty() ? one.outcome : one.records[i];
      total.records[first + i] = outcome;
      if (!one.record_errors.empty()) total.record_errors[first + i] = one.record_errors[i];
      all_delivered &= outcome == Outcome::kDelivered;
      any_retryable |= outcome == Outcome::kRetryable;
    }
    if (one.outcome != Outcome::kDelivered) {
      total.error_code = one.error_code;
      total.error_message = one.error_message;
    }
    first += bulk.counts[r];
  }
  if (all_delivered) return {Outcome::kDelivered, "", ""};
  total.outcome = any_retryable ? Outcome::kRetryable : Outcome::kFailed;
  return total;
}

std::string_view OpenSearchDelivery::failed_output_type() const {
  return config_.flavor == Flavor::kElasticsearch ? "elasticsearch-failed" : "AmazonOpenSearchService-failed";
}

void OpenSearchDelivery::AppendFailedRecord(const Record& record, const DeliveryFailure& failure,
                                            std::string* out) const {
  const bool serverless = config_.flavor == Flavor::kServerless;
  const std::string id = DocumentId(record);
  json::object doc = FailureDocument(record, failure);
  doc.emplace(serverless ? "osDocumentId" : "esDocumentId", id.empty() ? json::value(nullptr) : json::value(id));
  doc.emplace(serverless ? "osIndexName" : "esIndexName", IndexFor(record.arrival_millis));
  if (!serverless) {
    doc.emplace("esTypeName", config_.type_name.empty() ? json::value(nullptr) : json::value(config_.type_name));
  }
  doc.emplace("rawData", Base64Encode(record.data));
  AppendDocument(doc, out);
}

std::string OpenSearchDelivery::Describe(std::string_view plan) const {
  return fmt::format("{} index {} (batch {})", options_.access.endpoint, config_.index_name, plan);
}

std::vector<std::string_view> EncodedRequests(const Payload& payload) {
  const auto& bulk = static_cast<const BulkPayload&>(payload);
  return {bulk.requests.begin(), bulk.requests.end()};
}

}  // namespace hydrant::destination::opensearch
