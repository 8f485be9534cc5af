// DeliveryJournal: JSON-lines plan/done log with compaction.
#include "stream/delivery_journal.h"

#include <boost/json.hpp>

#include <algorithm>

namespace hydrant::stream {
namespace json = boost::json;
namespace {

json::array PositionToJson(wal::LogPosition p) { return {p.segment, p.offset}; }

bool PositionFromJson(const json::value* v, wal::LogPosition* out) {
  if (v == nullptr || !v->is_array() || v->as_array().size() != 2) return false;
  const auto& a = v->as_array();
  auto seg = a[0].to_number<uint64_t>();
  auto off = a[1].to_number<uint64_t>();
  *out = {seg, off};
  return true;
}

// The journal as a file: appended and synced line by line, replaced by an atomic rename.
class FileStore final : public JournalStore {
 public:
  FileStore(Env* env, std::string path) : env_(env), path_(std::move(path)) {}
  ~FileStore() override {
    if (file_) (void)file_->Close();
  }

  Result<std::string> Load() override {
    if (!env_->FileExists(path_)) return std::string();
    return env_->ReadFile(path_);
  }

  Status Append(const std::string& lines) override {
    if (!file_) HYDRANT_RETURN_IF_ERROR(Reopen());
    Status s = file_->Append(lines);
    if (s.ok()) s = file_->Sync();
    if (!s.ok()) {
      // A torn line (a full disk writes part of it) would be followed by the next line and
      // read back as garbage: the next Append first cuts the file back to its last whole line.
      (void)file_->Close();
      file_.reset();
      return s;
    }
    file_bytes_ += lines.size();
    return Status::Ok();
  }

  Status Replace(const std::string& content) override {
    if (file_) {
      Status closed = file_->Close();
      file_.reset();  // reopened by the next Append if the rewrite fails
      HYDRANT_RETURN_IF_ERROR(closed);
    }
    HYDRANT_RETURN_IF_ERROR(env_->WriteFileAtomic(path_, content));
    file_bytes_ = content.size();
    return Reopen();
  }

 private:
  // Back to the last whole line, open for appending.
  Status Reopen() {
    HYDRANT_RETURN_IF_ERROR(env_->TruncateFile(path_, file_bytes_));
    auto file = env_->NewWritableFile(path_, /*truncate=*/false);
    if (!file.ok()) return file.status();
    file_ = std::move(*file);
    return Status::Ok();
  }

  Env* env_;
  std::string path_;
  std::unique_ptr<WritableFile> file_;
  uint64_t file_bytes_ = 0;
};
}  // namespace

std::unique_ptr<JournalStore> FileJournalStore(Env* env, std::string path) {
  return std::make_unique<FileStore>(env, std::move(path));
}

Result<std::unique_ptr<DeliveryJournal>> DeliveryJournal::Open(std::unique_ptr<JournalStore> store,
                                                               wal::LogPosition log_begin,
                                                               std::optional<uint64_t> compact_at_bytes) {
  const uint64_t compact_at = compact_at_bytes.value_or(store->compact_at_bytes());
  std::unique_ptr<DeliveryJournal> journal(new DeliveryJournal(std::move(store), compact_at));
  journal->delivered_end_ = log_begin;
  auto content = journal->store_->Load();
  if (!content.ok()) return content.status();
  if (!content->empty()) {
    std::string_view rest = *content;
    while (!rest.empty()) {
      auto nl = rest.find('\n');
      if (nl == std::string_view::npos) break;  // torn last line: never acted upon
      std::string_view line = rest.substr(0, nl);
      rest.remove_prefix(nl + 1);
      json::error_code ec;
      json::value v = json::parse(line, ec);
      if (ec || !v.is_object()) break;
      const json::object& o = v.as_object();
      try {
        if (o.contains("plan")) {
          PlannedBatch b;
          b.sequence = o.at("plan").to_number<uint64_t>();
          if (!PositionFromJson(o.if_contains("begin"), &b.begin) ||
              !PositionFromJson(o.if_contains("end"), &b.end)) {
            break;
          }
          b.records = o.at("records").to_number<uint64_t>();
          b.data_bytes = o.at("bytes").to_number<uint64_t>();
          auto text = [&](std::string_view name, std::string* out) {
            if (const json::value* v = o.if_contains(name)) *out = json::value_to<std::string>(*v);
          };
          text("batch_id", &b.batch_id);
          text("destination_plan", &b.plan);
          text("bucket", &b.bucket);
          text("key", &b.key);
          if (const json::value* e = o.if_contains("error_key")) b.error_key = json::value_to<std::string>(*e);
          if (const json::value* c = o.if_contains("compression")) b.compression = json::value_to<std::string>(*c);
          if (const json::value* p = o.if_contains("partition")) b.partition = json::value_to<std::string>(*p);
          if (const json::value* a = o.if_contains("first_arrival")) b.first_arrival_millis = a->to_number<int64_t>();
          journal->next_sequence_ = b.sequence + 1;
          journal->in_flight_ = std::move(b);
        } else if (o.contains("done")) {
          if (journal->in_flight_ && journal->in_flight_->sequence == o.at("done").to_number<uint64_t>()) {
            journal->Delivered(*journal->in_flight_);
            journal->in_flight_.reset();
          }
        } else if (o.contains("checkpoint")) {
          if (!PositionFromJson(o.if_contains("checkpoint"), &journal->delivered_end_)) break;
          journal->next_sequence_ = o.at("next_sequence").to_number<uint64_t>();
          journal->in_flight_.reset();
          journal->partitions_delivered_.clear();
          if (const json::value* parts = o.if_contains("partitions")) {
            for (const auto& [identity, ranges] : parts->as_object()) {
              auto& list = journal->partitions_delivered_[std::string(identity)];
              for (const json::value& range : ranges.as_array()) {
                const json::array& r = range.as_array();
                list.push_back({{r.at(0).to_number<uint64_t>(), r.at(1).to_number<uint64_t>()},
                                {r.at(2).to_number<uint64_t>(), r.at(3).to_number<uint64_t>()}});
              }
            }
          }
        }
      } catch (const std::exception&) {
        break;  // a line we cannot read ends the journal, like a torn write
      }
    }
    if (journal->delivered_end_ < log_begin) journal->delivered_end_ = log_begin;
  }
  // Start from a compact file: drops anything torn and keeps the journal small.
  HYDRANT_RETURN_IF_ERROR(journal->Compact());
  return journal;
}

std::string DeliveryJournal::PlanLine(const PlannedBatch& batch) {
  json::object o;
  o["plan"] = batch.sequence;
  o["begin"] = PositionToJson(batch.begin);
  o["end"] = PositionToJson(batch.end);
  o["records"] = batch.records;
  o["bytes"] = batch.data_bytes;
  if (!batch.plan.empty()) {
    o["batch_id"] = batch.batch_id;
    o["destination_plan"] = batch.plan;
  } else {
    o["bucket"] = batch.bucket;
    o["key"] = batch.key;
    o["compression"] = batch.compression;
  }
  if (!batch.error_key.empty()) o["error_key"] = batch.error_key;
  if (!batch.partition.empty()) o["partition"] = batch.partition;
  if (batch.first_arrival_millis) o["first_arrival"] = batch.first_arrival_millis;
  return json::serialize(o) + "\n";
}

Status DeliveryJournal::Plan(const PlannedBatch& batch) {
  HYDRANT_RETURN_IF_ERROR(Append(PlanLine(batch)));
  in_flight_ = batch;
  next_sequence_ = batch.sequence + 1;
  return Status::Ok();
}

Status DeliveryJournal::Done(const PlannedBatch* then_plan) {
  if (!in_flight_) return Status::Internal("delivery journal: Done without a planned batch");
  json::object o;
  o["done"] = in_flight_->sequence;
  std::string lines = json::serialize(o) + "\n";
  // A torn write that keeps only the done line leaves the next batch unplanned, which is safe:
  // nothing of it is written before this sync returns.
  if (then_plan) lines += PlanLine(*then_plan);
  HYDRANT_RETURN_IF_ERROR(Append(lines));
  Delivered(*in_flight_);
  in_flight_.reset();
  if (then_plan) {
    in_flight_ = *then_plan;
    next_sequence_ = then_plan->sequence + 1;
  }
  if (file_bytes_ >= compact_at_bytes_) return Compact();
  return Status::Ok();
}

Status DeliveryJournal::SkipTo(wal::LogPosition position) {
  if (in_flight_) return Status::Internal("delivery journal: SkipTo with a batch in flight");
  delivered_end_ = std::max(delivered_end_, position);
  return Compact();
}

void DeliveryJournal::Delivered(const PlannedBatch& batch) {
  if (batch.partition.empty()) {
    delivered_end_ = batch.end;
  } else {
    partitions_delivered_[batch.partition].push_back({batch.begin, batch.end});
  }
}

bool DeliveryJournal::PartitionDelivered(const std::string& partition, wal::LogPosition position) const {
  auto it = partitions_delivered_.find(partition);
  if (it == partitions_delivered_.end()) return false;
  for (const auto& [begin, end] : it->second) {
    if (begin <= position && position < end) return true;
  }
  return false;
}

void DeliveryJournal::ForgetPartitionsBefore(wal::LogPosition log_begin) {
  for (auto it = partitions_delivered_.begin(); it != partitions_delivered_.end();) {
    std::erase_if(it->second, [&](const auto& range) { return range.second <= log_begin; });
    it = it->second.empty() ? partitions_delivered_.erase(it) : std::next(it);
  }
}

Status DeliveryJournal::Append(const std::string& lines) {
  HYDRANT_RETURN_IF_ERROR(store_->Append(lines));
  file_bytes_ += lines.size();
  return Status::Ok();
}

Status DeliveryJournal::Compact() {
  json::object checkpoint;
  checkpoint["checkpoint"] = PositionToJson(delivered_end_);
  checkpoint["next_sequence"] = next_sequence_;
  if (!partitions_delivered_.empty()) {
    json::object parts;
    for (const auto& [identity, ranges] : partitions_delivered_) {
      json::array list;
      for (const auto& [begin, end] : ranges) list.push_back({begin.segment, begin.offset, end.segment, end.offset});
      parts[identity] = std::move(list);
    }
    checkpoint["partitions"] = std::move(parts);
  }
  std::string content = json::serialize(checkpoint) + "\n";
  // The batch in flight is planned again in the same write.
  if (in_flight_) content += PlanLine(*in_flight_);
  HYDRANT_RETURN_IF_ERROR(store_->Replace(content));
  file_bytes_ = content.size();
  return Status::Ok();
}

}  // namespace hydrant::stream
