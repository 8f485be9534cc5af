// FirehoseHandler: request decoding, validation, and the operations.
#include "api/firehose_handler.h"

#include "stream/lineage.h"

#include <spdlog/spdlog.h>

#include <boost/json.hpp>

#include "api/errors.h"
#include "api/model_validator.h"
#include "api/put_request_parser.h"
#include "common/ids.h"

namespace hydrant::api {
namespace {

namespace json = boost::json;
using stream::StreamMetadata;

constexpr char kDestinationId[] = "destinationId-000000000001";
constexpr size_t kMaxTagsPerStream = 50;
constexpr size_t kMaxStreamsPerKey = 500;  // streams one customer-managed key may encrypt

http::HttpResponse JsonOk(std::string body, const std::string& request_id) {
  http::HttpResponse res;
  res.SetHeader("Content-Type", "application/x-amz-json-1.1");
  res.SetHeader("x-amzn-RequestId", request_id);
  res.body = std::move(body);
  return res;
}

double EpochSeconds(int64_t millis) { return static_cast<double>(millis) / 1000.0; }

std::string StringMember(const json::object& o, std::string_view name) {
  const json::value* v = o.if_contains(name);
  return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

Status NotFound(const stream::Catalog& catalog, const std::string& name) {
  return Status::NotFound("Firehose " + name + " under account " + catalog.options().account_id +
                          " not found.");
}

// The operations that change or read the catalog. `in` passed the model validation.
class ControlPlane {
 public:
  ControlPlane(stream::Catalog* catalog, Clock* clock) : catalog_(catalog), clock_(clock) {}

  Result<json::object> Run(std::string_view op, const json::object& in) {
    if (op == "CreateDeliveryStream") return Create(in);
    if (op == "DescribeDeliveryStream") return Describe(in);
    if (op == "ListDeliveryStreams") return List(in);
    if (op == "DeleteDeliveryStream") return Delete(in);
    if (op == "UpdateDestination") return Update(in);
    if (op == "TagDeliveryStream") return Tag(in);
    if (op == "UntagDeliveryStream") return Untag(in);
    if (op == "ListTagsForDeliveryStream") return ListTags(in);
    if (op == "StartDeliveryStreamEncryption") return StartEncryption(in);
    if (op == "StopDeliveryStreamEncryption") return StopEncryption(in);
    return Status::InvalidArgument(std::string(op) + " is not supported by this Hydrant version.");
  }

  // Set when the failure is InvalidKMSResourceException (a key the server does not have).
  const std::string& kms_error_code() const { return kms_error_code_; }

 private:
  Result<std::shared_ptr<stream::DeliveryStream>> FindStream(const json::object& in) {
    std::string name = StringMember(in, "DeliveryStreamName");
    auto stream = catalog_->Find(name);
    if (!stream) return NotFound(*catalog_, name);
    return stream;
  }

  // DeliveryStreamEncryptionConfigurationInput (absent: AWS_OWNED_CMK, as Start defaults).
  static Status ReadEncryptionInput(const json::object& in, stream::StreamEncryption* out) {
    out->key_type = "AWS_OWNED_CMK";
    out->key_arn.clear();
    const json::value* input = in.if_contains("DeliveryStreamEncryptionConfigurationInput");
    if (input == nullptr || !input->is_object()) return Status::Ok();
    std::string type = StringMember(input->as_object(), "KeyType");
    std::string arn = StringMember(input->as_object(), "KeyARN");
    if (!type.empty()) out->key_type = type;
    if (out->key_type == "CUSTOMER_MANAGED_CMK" && arn.empty()) {
      return Status::InvalidArgument("KeyARN must be specified when KeyType is CUSTOMER_MANAGED_CMK.");
    }
    if (out->key_type == "AWS_OWNED_CMK" && !arn.empty()) {
      return Status::InvalidArgument("KeyARN must not be specified when KeyType is AWS_OWNED_CMK.");
    }
    out->key_arn = arn;
    return Status::Ok();
  }

  // The service lets one customer-managed key encrypt at most 500 streams.
  Status CheckKeyUse(const stream::StreamEncryption& asked, const std::string& stream_name) {
    if (asked.key_type != "CUSTOMER_MANAGED_CMK") return Status::Ok();
    size_t streams = 0;
    for (const std::string& name : catalog_->ListNames()) {
      if (name == stream_name) continue;
      auto other = catalog_->Find(name);
      if (other && other->metadata().encryption.key_ref == asked.key_arn) ++streams;
    }
    if (streams < kMaxStreamsPerKey) return Status::Ok();
    return Status::LimitExceeded("The KMS key " + asked.key_arn + " already encrypts " +
                                 std::to_string(kMaxStreamsPerKey) + " delivery streams, the most allowed.");
  }

  Result<json::object> Create(const json::object& in) {
    auto config = stream::StreamConfig::FromCreateRequest(in);
    if (!config.ok()) return config.status();
    stream::StreamEncryption encryption;
    if (in.contains("DeliveryStreamEncryptionConfigurationInput")) {
      HYDRANT_RETURN_IF_ERROR(ReadEncryptionInput(in, &encryption));
      encryption.status = "ENABLED";
      encryption.key_ref = encryption.TargetRef();
      const KeyRing* keys = catalog_->keys();
      if (keys == nullptr || keys->Master(encryption.key_ref) == nullptr) {
        kms_error_code_ = "KMS.NotFoundException";
        return Status::InvalidArgument("Key '" + encryption.key_ref +
                                       "' does not exist (Hydrant knows the keys under kms_keys in its config)");
      }
      HYDRANT_RETURN_IF_ERROR(CheckKeyUse(encryption, config->name()));
    }
    std::vector<std::pair<std::string, std::string>> tags;
    if (const json::value* t = in.if_contains("Tags"); t && t->is_array()) {
      for (const auto& tag : t->as_array()) {
        const auto& o = tag.as_object();
        tags.emplace_back(StringMember(o, "Key"), StringMember(o, "Value"));
      }
    }
    std::string name = config->name();
    HYDRANT_RETURN_IF_ERROR(catalog_->Create(std::move(*config), std::move(tags), std::move(encryption)));
    spdlog::info("created delivery stream {}", name);
    return json::object{{"DeliveryStreamARN", catalog_->Arn(name)}};
  }

  Result<json::object> Describe(const json::object& in) {
    auto stream = FindStream(in);
    if (!stream.ok()) return stream.status();
    StreamMetadata m = (*stream)->metadata();
    const std::string& name = m.config.name();
    bool creating = catalog_->StatusOf(**stream) == stream::StreamStatus::kCreating;
    json::object d;
    d["DeliveryStreamName"] = name;
    d["DeliveryStreamARN"] = catalog_->Arn(name);
    d["DeliveryStreamStatus"] = creating ? "CREATING" : "ACTIVE";
    d["DeliveryStreamEncryptionConfiguration"] = DescribeEncryption(m.encryption);
    d["DeliveryStreamType"] = m.config.type();
    d["VersionId"] = std::to_string(m.version);
    d["CreateTimestamp"] = EpochSeconds(m.create_millis);
    if (m.last_update_millis) d["LastUpdateTimestamp"] = EpochSeconds(*m.last_update_millis);
    if (auto source = m.config.DescribeSource()) d["Source"] = std::move(*source);
    json::array destinations;
    std::string start = StringMember(in, "ExclusiveStartDestinationId");
    if (start != kDestinationId) {
      json::object destination{{"DestinationId", kDestinationId}};
      for (auto& [k, v] : m.config.DescribeDestination()) destination[k] = v;
      destinations.push_back(std::move(destination));
    }
    d["Destinations"] = std::move(destinations);
    d["HasMoreDestinations"] = false;
    return json::object{{"DeliveryStreamDescription", std::move(d)}};
  }

  static json::object DescribeEncryption(const stream::StreamEncryption& e) {
    json::object out{{"Status", e.status}};
    if (e.status != "DISABLED") {
      out["KeyType"] = e.key_type;
      if (e.key_type == "CUSTOMER_MANAGED_CMK") out["KeyARN"] = e.key_arn;
    }
    if (e.status == "ENABLING_FAILED") {
      out["FailureDescription"] = json::object{{"Type", e.failure_type}, {"Details", e.failure_details}};
    }
    return out;
  }

  // Only an ACTIVE stream changes its encryption.
  Result<std::shared_ptr<stream::DeliveryStream>> FindActiveStream(const json::object& in) {
    auto stream = FindStream(in);
    if (!stream.ok()) return stream.status();
    if (catalog_->StatusOf(**stream) != stream::StreamStatus::kActive) {
      return Status::ResourceInUse("Firehose " + StringMember(in, "DeliveryStreamName") +
                                   " under account " + catalog_->options().account_id +
                                   " is not ACTIVE (status CREATING).");
    }
    return stream;
  }

  Result<json::object> StartEncryption(const json::object& in) {
    auto stream = FindActiveStream(in);
    if (!stream.ok()) return stream.status();
    stream::StreamEncryption asked;
    HYDRANT_RETURN_IF_ERROR(ReadEncryptionInput(in, &asked));
    HYDRANT_RETURN_IF_ERROR(CheckKeyUse(asked, StringMember(in, "DeliveryStreamName")));
    HYDRANT_RETURN_IF_ERROR((*stream)->StartEncryption(asked.key_type, asked.key_arn));
    spdlog::info("delivery stream {}: encryption {}", StringMember(in, "DeliveryStreamName"),
                 (*stream)->metadata().encryption.status);
    return json::object{};
  }

  Result<json::object> StopEncryption(const json::object& in) {
    auto stream = FindActiveStream(in);
    if (!stream.ok()) return stream.status();
    HYDRANT_RETURN_IF_ERROR((*stream)->StopEncryption());
    spdlog::info("delivery stream {}: encryption DISABLED", StringMember(in, "DeliveryStreamName"));
    return json::object{};
  }

  Result<json::object> List(const json::object& in) {
    int64_t limit = 10;
    if (const json::value* l = in.if_contains("Limit"); l && l->is_int64()) limit = l->as_int64();
    std::string type = StringMember(in, "DeliveryStreamType");
    std::string start = StringMember(in, "ExclusiveStartDeliveryStreamName");
    json::array names;
    bool has_more = false;
    for (const std::string& name : catalog_->ListNames()) {
      if (!start.empty() && name <= start) continue;
      if (!type.empty()) {
        auto s = catalog_->Find(name);
        if (!s || s->metadata().config.type() != type) continue;
      }
      if (static_cast<int64_t>(names.size()) == limit) {
        has_more = true;
        break;
      }
      names.push_back(json::string(name));
    }
    return json::object{{"DeliveryStreamNames", std::move(names)}, {"HasMoreDeliveryStreams", has_more}};
  }

  Result<json::object> Delete(const json::object& in) {
    std::string name = StringMember(in, "DeliveryStreamName");
    HYDRANT_RETURN_IF_ERROR(catalog_->Delete(name));
    spdlog::info("deleted delivery stream {}", name);
    return json::object{};
  }

  Result<json::object> Update(const json::object& in) {
    auto stream = FindStream(in);
    if (!stream.ok()) return stream.status();
    std::string name = StringMember(in, "DeliveryStreamName");
    std::string expected = StringMember(in, "CurrentDeliveryStreamVersionId");
    std::string destination_id = StringMember(in, "DestinationId");
    int64_t now = clock_->NowMillis();
    Status s = (*stream)->UpdateMetadata([&](StreamMetadata* m) -> Status {
      if (expected != std::to_string(m->version)) {
        return Status::FailedPrecondition("Cannot update firehose: " + name +
                                          " since the current version id: " + std::to_string(m->version) +
                                          " and specified version id: " + expected + " do not match");
      }
      if (destination_id != kDestinationId) {
        return Status::InvalidArgument("Destination Id " + destination_id + " not found.");
      }
      auto updated = m->config.ApplyUpdate(in);
      if (!updated.ok()) return updated.status();
      m->config = std::move(*updated);
      m->version += 1;
      m->last_update_millis = now;
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return json::object{};
  }

  Result<json::object> Tag(const json::object& in) {
    auto stream = FindStream(in);
    if (!stream.ok()) return stream.status();
    Status s = (*stream)->UpdateMetadata([&](StreamMetadata* m) -> Status {
      for (const auto& tag : in.at("Tags").as_array()) {
        const auto& o = tag.as_object();
        std::string key = StringMember(o, "Key"), value = StringMember(o, "Value");
        bool replaced = false;
        for (auto& [k, v] : m->tags) {
          if (k == key) {
            v = value;
            replaced = true;
          }
        }
        if (!replaced) m->tags.emplace_back(key, value);
      }
      if (m->tags.size() > kMaxTagsPerStream) {
        return Status::LimitExceeded("A delivery stream can have at most " +
                                     std::to_string(kMaxTagsPerStream) + " tags.");
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return json::object{};
  }

  Result<json::object> Untag(const json::object& in) {
    auto stream = FindStream(in);
    if (!stream.ok()) return stream.status();
    Status s = (*stream)->UpdateMetadata([&](StreamMetadata* m) -> Status {
      for (const auto& key : in.at("TagKeys").as_array()) {
        std::string k(key.as_string());
        std::erase_if(m->tags, [&](const auto& tag) { return tag.first == k; });
      }
      return Status::Ok();
    });
    if (!s.ok()) return s;
    return json::object{};
  }

  Result<json::object> ListTags(const json::object& in) {
    auto stream = FindStream(in);
    if (!stream.ok()) return stream.status();
    int64_t limit = 50;
    if (const json::value* l = in.if_contains("Limit"); l && l->is_int64()) limit = l->as_int64();
    std::string start = StringMember(in, "ExclusiveStartTagKey");
    StreamMetadata m = (*stream)->metadata();
    auto tags = m.tags;
    std::sort(tags.begin(), tags.end());
    json::array out;
    bool has_more = false;
    for (const auto& [k, v] : tags) {
      if (!start.empty() && k <= start) continue;
      if (static_cast<int64_t>(out.size()) == limit) {
        has_more = true;
        break;
      }
      out.push_back(json::object{{"Key", k}, {"Value", v}});
    }
    return json::object{{"Tags", std::move(out)}, {"HasMoreTags", has_more}};
  }

  stream::Catalog* catalog_;
  Clock* clock_;
  std::string kms_error_code_;
};

}  // namespace

FirehoseHandler::FirehoseHandler(stream::Catalog* catalog, Clock* clock)
    : catalog_(catalog), clock_(clock), record_id_salt_(std::stoull(RandomHex(4), nullptr, 16)) {}

void FirehoseHandler::Handle(std::string_view operation, http::HttpRequest request, http::Respond respond,
                             const auth::Caller* caller) {
  std::string request_id = NewUuid();
  const ServiceModel& model = ServiceModel::Firehose();
  if (!model.HasOperation(operation)) {
    return respond(JsonErrorResponse("UnknownOperationException", 400, "", request_id));
  }
  if (operation == "PutRecordBatch" || operation == "PutRecord") {
    return Put(operation == "PutRecordBatch", request, request_id, std::move(respond), caller);
  }
  json::error_code ec;
  json::value body = json::parse(request.body.empty() ? std::string_view("{}") : request.body, ec);
  if (ec || !body.is_object()) {
    return respond(JsonErrorResponse(Status::Malformed("Request body is not a JSON object."), request_id));
  }
  if (Status valid = model.ValidateInput(operation, body); !valid.ok()) {
    return respond(JsonErrorResponse(valid, request_id));
  }
  if (caller) {
    const json::value* name = body.as_object().if_contains("DeliveryStreamName");
    const std::string resource = name && name->is_string() ? catalog_->Arn(std::string(name->as_string())) : "*";
    if (auto denied = caller->Denied("firehose:" + std::string(operation), resource)) {
      return respond(JsonErrorResponse("AccessDeniedException", 400, *denied, request_id));
    }
  }
  ControlPlane control(catalog_, clock_);
  auto result = control.Run(operation, body.as_object());
  if (!result.ok() && !control.kms_error_code().empty()) {
    // InvalidKMSResourceException carries the KMS error's code beside its message.
    http::HttpResponse res = JsonErrorResponse("InvalidKMSResourceException", 400, result.status().message(), request_id);
    res.body = json::serialize(json::object{{"__type", "InvalidKMSResourceException"},
                                            {"code", control.kms_error_code()},
                                            {"message", result.status().message()}});
    return respond(std::move(res));
  }
  if (!result.ok()) return respond(JsonErrorResponse(result.status(), request_id));
  respond(JsonOk(json::serialize(*result), request_id));
}

namespace {
// CloudWatch's ingestion and API metrics for one put that reached its stream: a few relaxed
// additions on the stream the request already looked up.
void CountPut(stream::PutCounters& counters, bool batch, const ParsedPut& put, size_t accepted) {
  constexpr auto kRelaxed = std::memory_order_relaxed;
  const size_t total = put.records.size();
  const uint64_t bytes = put.data.size();  // every record's decoded bytes, back to back
  if (batch) {
    counters.put_record_batch_requests.fetch_add(1, kRelaxed);
    counters.put_record_batch_records.fetch_add(total, kRelaxed);
    counters.put_record_batch_bytes.fetch_add(bytes, kRelaxed);
  } else {
    counters.put_record_requests.fetch_add(1, kRelaxed);
    counters.put_record_bytes.fetch_add(bytes, kRelaxed);
  }
  if (accepted == total) {
    counters.incoming_put_requests.fetch_add(1, kRelaxed);
    counters.incoming_records.fetch_add(total, kRelaxed);
    counters.incoming_bytes.fetch_add(bytes, kRelaxed);
    return;
  }
  counters.throttled_records.fetch_add(total - accepted, kRelaxed);
  if (accepted == 0) return;
  uint64_t accepted_bytes = 0;
  for (size_t i = 0; i < accepted; ++i) accepted_bytes += put.records[i].size();
  counters.incoming_put_requests.fetch_add(1, kRelaxed);
  counters.incoming_records.fetch_add(accepted, kRelaxed);
  counters.incoming_bytes.fetch_add(accepted_bytes, kRelaxed);
}
}  // namespace

uint64_t FirehoseHandler::NextRecordNumber(size_t count) { return record_counter_.fetch_add(count); }

void FirehoseHandler::Put(bool batch, http::HttpRequest& request, const std::string& request_id,
                          http::Respond respond, const auth::Caller* caller) {
  int64_t arrival = clock_->NowMillis();
  ParsedPut put;
  Status parsed = ParsePutRequest(request.body, batch, &put);
  if (!parsed.ok()) {
    if (parsed.code() == StatusCode::kValidation) {
      // Rare path: let the model validator word the error exactly as the service does.
      json::error_code ec;
      json::value body = json::parse(request.body, ec);
      Status exact = ec ? parsed : ServiceModel::Firehose().ValidateInput(batch ? "PutRecordBatch" : "PutRecord", body);
      if (!exact.ok()) parsed = exact;
    }
    return respond(JsonErrorResponse(parsed, request_id));
  }
  if (caller) {
    if (auto denied = caller->Denied(batch ? "firehose:PutRecordBatch" : "firehose:PutRecord",
                                     catalog_->Arn(put.stream_name))) {
      return respond(JsonErrorResponse("AccessDeniedException", 400, *denied, request_id));
    }
  }
  if (batch && put.data.size() > kMaxBatchBytes) {
    return respond(JsonErrorResponse(
        Status::InvalidArgument("Records size exceeds 4 MB limit"), request_id));
  }
  auto stream = catalog_->Find(put.stream_name);
  if (!stream) return respond(JsonErrorResponse(NotFound(*catalog_, put.stream_name), request_id));
  if (catalog_->StatusOf(*stream) != stream::StreamStatus::kActive) {
    return respond(JsonErrorResponse(
        Status::NotFound("Firehose " + put.stream_name + " under account " +
                         catalog_->options().account_id + " is not ACTIVE yet (status CREATING)."),
        request_id));
  }

  const size_t total = put.records.size();
  const bool encrypted = stream->encrypted();
  // RecordId: where the record lies in the stream's log (stream/lineage.h), so lineage can find
  // it. Cluster mode learns the place only once stored: there the id is unique, not traceable.
  const uint64_t tag = stream->record_id_tag();
  auto build = [&](size_t accepted, wal::LogPosition first) {
    uint64_t number = first.segment == 0 ? NextRecordNumber(accepted) : 0;
    wal::LogPosition position = first;
    auto append_record_id = [&](std::string* out, size_t i) {
      if (first.segment == 0) {
        stream::AppendRecordId(tag, {0, record_id_salt_ << 32 | ((number + i) & 0xffff'ffff)}, out);
        return;
      }
      stream::AppendRecordId(tag, position, out);
      position = stream->NextRecordPosition(position, put.records[i].size());
    };
    std::string body;
    if (!batch) {
      body = "{\"RecordId\":\"";
      append_record_id(&body, 0);
      body += encrypted ? "\",\"Encrypted\":true}" : "\",\"Encrypted\":false}";
      return body;
    }
    body.reserve(64 + total * 48);
    body += "{\"FailedPutCount\":";
    body += std::to_string(total - accepted);
    body += encrypted ? ",\"Encrypted\":true,\"RequestResponses\":[" : ",\"Encrypted\":false,\"RequestResponses\":[";
    for (size_t i = 0; i < total; ++i) {
      if (i) body += ',';
      if (i < accepted) {
        body += "{\"RecordId\":\"";
        append_record_id(&body, i);
        body += "\"}";
      } else {
        body += R"({"ErrorCode":"ServiceUnavailableException","ErrorMessage":"Slow down."})";
      }
    }
    body += "]}";
    return body;
  };

  size_t accepted = stream->Reserve(put.records);
  CountPut(stream->put_counters(), batch, put, accepted);
  if (accepted == 0 && !batch) {
    return respond(JsonErrorResponse(Status::Unavailable("Slow down."), request_id));
  }
  if (accepted == 0) return respond(JsonOk(build(0, {}), request_id));
  // The answer names the records' places in the log, known once Append returns; it is sent
  // when it is built and the records are durable, whichever comes last (so the WAL's sync
  // thread at most sends it).
  struct Reply {
    http::Respond respond;
    std::string request_id;
    std::string body;
    Status status;
    std::atomic<int> waiting{2};
    void Finish() {
      if (waiting.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
      if (status.code() == StatusCode::kResourceExhausted) {
        // The disk filled up: the same throttling answer as a full disk budget.
        return respond(JsonErrorResponse(Status::Unavailable("Slow down."), request_id));
      }
      if (!status.ok()) {
        return respond(JsonErrorResponse(
            Status::Unavailable("The stream's write-ahead log cannot be written: " + status.message()), request_id));
      }
      respond(JsonOk(std::move(body), request_id));
    }
  };
  auto reply = std::make_shared<Reply>();
  reply->respond = std::move(respond);
  reply->request_id = request_id;
  const wal::LogPosition first = stream->Append(std::span(put.records).first(accepted), arrival, [reply](Status s) {
    reply->status = std::move(s);
    reply->Finish();
  });
  reply->body = build(accepted, first);
  reply->Finish();
}

}  // namespace hydrant::api
