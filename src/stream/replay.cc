#include "stream/replay.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <charconv>
#include <ctime>
#include <future>

#include "common/ids.h"
#include "common/time_format.h"
#include "stream/delivery_stream.h"

namespace hydrant::stream {
namespace {

constexpr size_t kChunkRecords = 10'000;
constexpr uint64_t kChunkBytes = 8ull << 20;
// Records are in the log in about the order they arrived; a record this much later than the
// window's end means the window is behind.
constexpr int64_t kArrivalSlackMillis = 60'000;

boost::json::array PositionJson(const wal::LogPosition& p) { return {p.segment, p.offset}; }
wal::LogPosition PositionOf(const boost::json::value& v) {
  const auto& a = v.as_array();
  return {a.at(0).to_number<uint64_t>(), a.at(1).to_number<uint64_t>()};
}

}  // namespace

double ReplayJob::progress() const {
  if (state == "completed") return 1.0;
  return total_bytes == 0 ? 0.0 : std::min(1.0, static_cast<double>(done_bytes) / static_cast<double>(total_bytes));
}

std::string ReplayJob::ToJson() const {
  return boost::json::serialize(boost::json::object{
      {"id", id},
      {"stream", stream},
      {"to_stream", to_stream},
      {"from", FormatIso8601Millis(from_millis)},
      {"to", FormatIso8601Millis(to_millis)},
      {"from_millis", from_millis},
      {"to_millis", to_millis},
      {"state", state},
      {"message", message},
      {"progress", progress()},
      {"records_replayed", records_replayed},
      {"bytes_replayed", bytes_replayed},
      {"created", FormatIso8601Millis(created_millis)},
      {"updated", FormatIso8601Millis(updated_millis)},
      {"source_create_millis", source_create_millis},
      {"cursor", PositionJson(cursor)},
      {"end", PositionJson(end)},
      {"total_bytes", total_bytes},
      {"done_bytes", done_bytes},
      {"created_millis", created_millis},
      {"updated_millis", updated_millis}});
}

Result<ReplayJob> ReplayJob::FromJson(std::string_view text) {
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Corruption("not a replay: " + ec.message());
  try {
    const auto& o = v.as_object();
    ReplayJob j;
    j.id = o.at("id").as_string();
    j.stream = o.at("stream").as_string();
    j.to_stream = o.at("to_stream").as_string();
    j.from_millis = o.at("from_millis").to_number<int64_t>();
    j.to_millis = o.at("to_millis").to_number<int64_t>();
    j.state = o.at("state").as_string();
    j.message = o.at("message").as_string();
    j.source_create_millis = o.at("source_create_millis").to_number<int64_t>();
    j.cursor = PositionOf(o.at("cursor"));
    j.end = PositionOf(o.at("end"));
    j.total_bytes = o.at("total_bytes").to_number<uint64_t>();
    j.done_bytes = o.at("done_bytes").to_number<uint64_t>();
    j.records_replayed = o.at("records_replayed").to_number<uint64_t>();
    j.bytes_replayed = o.at("bytes_replayed").to_number<uint64_t>();
    j.created_millis = o.at("created_millis").to_number<int64_t>();
    j.updated_millis = o.at("updated_millis").to_number<int64_t>();
    return j;
  } catch (const std::exception& e) {
    return Status::Corruption(std::string("not a replay: ") + e.what());
  }
}

Result<int64_t> ParseTimeMillis(std::string_view text) {
  auto bad = [&] {
    return Status::InvalidArgument("'" + std::string(text) +
                                   "' is not a time: use ISO-8601 (2026-12-06T10:00:00Z) or seconds since the epoch");
  };
  if (!text.empty() && text.find_first_not_of("0123456789.") == std::string_view::npos) {
    double seconds = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
    if (ec != std::errc() || p != text.data() + text.size()) return bad();
    return static_cast<int64_t>(seconds * 1000);
  }
  std::tm tm{};
  int year, month, day, hour = 0, minute = 0, second = 0, consumed = 0;
  std::string s(text);
  if (std::sscanf(s.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3 || consumed != 10) return bad();
  size_t at = 10;
  int64_t millis = 0, offset_minutes = 0;
  if (at < s.size()) {
    if (s[at] != 'T' && s[at] != ' ') return bad();
    if (std::sscanf(s.c_str() + at + 1, "%2d:%2d%n", &hour, &minute, &consumed) != 2 || consumed != 5) return bad();
    at += 6;
    if (at < s.size() && s[at] == ':') {
      if (std::sscanf(s.c_str() + at + 1, "%2d%n", &second, &consumed) != 1 || consumed != 2) return bad();
      at += 3;
      if (at < s.size() && s[at] == '.') {
        int64_t scale = 100;
        for (++at; at < s.size() && std::isdigit(static_cast<unsigned char>(s[at])); ++at, scale /= 10) {
          millis += (s[at] - '0') * scale;
        }
      }
    }
    if (at < s.size() && (s[at] == 'Z' || s[at] == 'z')) {
      ++at;
    } else if (at < s.size() && (s[at] == '+' || s[at] == '-')) {
      int oh, om;
      if (std::sscanf(s.c_str() + at + 1, "%2d:%2d%n", &oh, &om, &consumed) != 2 || consumed != 5) return bad();
      offset_minutes = (s[at] == '-' ? -1 : 1) * (oh * 60 + om);
      at += 6;
    } else if (at < s.size()) {
      return bad();
    }
    if (at != s.size()) return bad();
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return bad();
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(timegm(&tm)) * 1000 + millis - offset_minutes * 60'000;
}

ReplayService::ReplayService(Catalog* catalog, Env* env, std::string dir, const Clock* clock,
                             uint64_t max_ahead_bytes)
    : catalog_(catalog), env_(env), dir_(std::move(dir)), clock_(clock), max_ahead_bytes_(max_ahead_bytes) {}

ReplayService::~ReplayService() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (worker_.joinable()) worker_.join();
}

Status ReplayService::Start() {
  HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  auto names = env_->GetChildren(dir_);
  if (!names.ok()) return names.status();
  std::lock_guard<std::mutex> lock(mu_);
  for (const std::string& name : *names) {
    if (!name.ends_with(".json")) continue;
    auto text = env_->ReadFile(JoinPath(dir_, name));
    if (!text.ok()) return text.status();
    auto job = ReplayJob::FromJson(*text);
    if (!job.ok()) {
      spdlog::warn("replay {}: {}; ignored", name, job.status().ToString());
      continue;
    }
    jobs_[job->id] = std::move(*job);
  }
  worker_ = std::thread([this] { Run(); });
  return Status::Ok();
}

Status ReplayService::Save(const ReplayJob& job) {
  return env_->WriteFileAtomic(JoinPath(dir_, job.id + ".json"), job.ToJson());
}

Result<ReplayJob> ReplayService::Create(const std::string& stream, int64_t from_millis, int64_t to_millis,
                                        const std::string& to_stream) {
  if (to_millis < from_millis) return Status::InvalidArgument("the replay's end (--to) is before its start (--from)");
  auto source = catalog_->Find(stream);
  if (!source) return Status::NotFound("Firehose " + stream + " not found under account " + catalog_->options().account_id + ".");
  const std::string target_name = to_stream.empty() ? stream : to_stream;
  if (!catalog_->Find(target_name)) {
    return Status::NotFound("Firehose " + target_name + " not found under account " + catalog_->options().account_id + ".");
  }
  ReplayJob job;
  job.id = NewUuid();
  job.stream = stream;
  job.to_stream = target_name;
  job.from_millis = from_millis;
  job.to_millis = to_millis;
  job.source_create_millis = source->create_millis();
  job.end = source->log_end();
  // Start at the last segment whose first record arrived at or before the window: the log is in
  // about arrival order, so the segments before it hold nothing of the window.
  job.cursor = source->log_begin();
  for (const wal::LogPosition& start : source->SegmentStarts()) {
    int64_t arrival = -1;
    (void)source->ReadRetained(start, job.end, [&](const wal::RecordView& r) {
      arrival = r.arrival_millis;
      return false;
    });
    if (arrival < 0 || arrival > from_millis - kArrivalSlackMillis) break;
    job.cursor = start;
  }
  job.total_bytes = source->LogBytesBetween(job.cursor, job.end);
  if (const auto retention = source->retention_millis(); retention >= 0) {
    const int64_t kept_since = clock_->NowMillis() - retention;
    if (from_millis < kept_since) {
      job.message = retention == 0 ? "the stream keeps no delivered records (tag hydrant:retention_hours): only "
                                     "records not yet delivered are replayed"
                                   : "the window starts before the stream's retention period: records released "
                                     "already are not replayed";
    }
  }
  job.created_millis = job.updated_millis = clock_->NowMillis();
  HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(dir_));
  HYDRANT_RETURN_IF_ERROR(Save(job));
  {
    std::lock_guard<std::mutex> lock(mu_);
    jobs_[job.id] = job;
  }
  cv_.notify_all();
  spdlog::info("replay {}: {} from {} to {} into {} started", job.id, stream, FormatIso8601Millis(from_millis),
               FormatIso8601Millis(to_millis), target_name);
  return job;
}

std::vector<ReplayJob> ReplayService::List() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<ReplayJob> out;
  for (const auto& [id, job] : jobs_) out.push_back(job);
  std::sort(out.begin(), out.end(), [](const ReplayJob& a, const ReplayJob& b) { return a.created_millis > b.created_millis; });
  return out;
}

Result<ReplayJob> ReplayService::Get(const std::string& id) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Status::NotFound("no replay " + id);
  return it->second;
}

Result<ReplayJob> ReplayService::Cancel(const std::string& id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = jobs_.find(id);
  if (it == jobs_.end()) return Status::NotFound("no replay " + id);
  if (it->second.state == "running") {
    it->second.state = "cancelled";
    it->second.updated_millis = clock_->NowMillis();
    HYDRANT_RETURN_IF_ERROR(Save(it->second));
    spdlog::info("replay {} cancelled", id);
  }
  return it->second;
}

void ReplayService::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  uint64_t turn = 0;
  for (;;) {
    // Running replays take turns, oldest first, so one waiting on a stalled target holds up
    // no other.
    std::vector<ReplayJob*> running;
    for (auto& [id, j] : jobs_) {
      if (j.state == "running") running.push_back(&j);
    }
    if (stopping_) return;
    if (running.empty()) {
      cv_.wait(lock);
      continue;
    }
    std::sort(running.begin(), running.end(),
              [](const ReplayJob* a, const ReplayJob* b) { return a->created_millis < b->created_millis; });
    ReplayJob copy = *running[turn++ % running.size()];
    lock.unlock();
    const bool went_on = Step(copy);
    lock.lock();
    auto it = jobs_.find(copy.id);
    // A cancel while the chunk was put wins; the progress made is kept.
    if (it != jobs_.end()) {
      if (it->second.state == "cancelled") copy.state = "cancelled";
      it->second = copy;
      if (Status s = Save(copy); !s.ok()) spdlog::warn("replay {}: cannot record progress: {}", copy.id, s.ToString());
    }
    if (!went_on) cv_.wait_for(lock, std::chrono::milliseconds(50));
  }
}

bool ReplayService::Step(ReplayJob& job) {
  auto finish = [&](std::string state, std::string message) {
    job.state = std::move(state);
    if (!message.empty()) job.message = std::move(message);
    job.updated_millis = clock_->NowMillis();
    spdlog::info("replay {}: {}: {} records replayed{}", job.id, job.state, job.records_replayed,
                 job.message.empty() ? "" : "; " + job.message);
    return true;
  };
  auto source = catalog_->Find(job.stream);
  if (!source || source->create_millis() != job.source_create_millis) return finish("failed", "the stream was deleted");
  auto target = catalog_->Find(job.to_stream);
  if (!target) return finish("failed", "the target stream " + job.to_stream + " was deleted");
  // Beside live delivery: the target's backlog stays short, though long enough to fill its
  // buffer (so batches are cut by size, not after the buffering interval).
  const uint64_t buffer_bytes = static_cast<uint64_t>(target->metadata().config.buffering().size_mb) << 20;
  const uint64_t limit = std::max(max_ahead_bytes_, 2 * buffer_bytes);
  const uint64_t undelivered = target->undelivered_wal_bytes();
  if (undelivered >= limit) return false;
  const uint64_t chunk_bytes = std::min(kChunkBytes, limit - undelivered);
  if (job.cursor < source->log_begin()) {
    job.done_bytes += source->LogBytesBetween(job.cursor, source->log_begin());
    job.cursor = source->log_begin();
  }
  std::vector<std::string> records;
  std::vector<wal::LogPosition> after;  // where the log goes on after each of them
  uint64_t bytes = 0;
  wal::LogPosition next = job.cursor;
  bool past_window = false;
  Status read = source->ReadRetained(job.cursor, job.end, [&](const wal::RecordView& r) {
    if (r.arrival_millis > job.to_millis + kArrivalSlackMillis) {
      past_window = true;
      return false;
    }
    if (records.size() == kChunkRecords || (!records.empty() && bytes + r.data.size() > chunk_bytes)) return false;
    next = r.next;
    if (r.arrival_millis >= job.from_millis && r.arrival_millis <= job.to_millis) {
      records.emplace_back(r.data);
      after.push_back(r.next);
      bytes += r.data.size();
    }
    return true;
  });
  if (!read.ok()) return finish("failed", "cannot read the stream's log: " + read.ToString());
  if (!records.empty()) {
    std::vector<std::string_view> views(records.begin(), records.end());
    // Within the disk budget like any put: what does not fit waits for the next step.
    const size_t reserved = target->Reserve(views);
    if (reserved == 0) return false;
    if (reserved < views.size()) {
      views.resize(reserved);
      next = after[reserved - 1];
      past_window = false;
    }
    std::promise<Status> stored;
    target->Append(views, clock_->NowMillis(), [&stored](Status s) { stored.set_value(std::move(s)); });
    if (Status s = stored.get_future().get(); !s.ok()) {
      spdlog::warn("replay {}: cannot put into {}: {}; retried", job.id, job.to_stream, s.ToString());
      return false;
    }
    job.records_replayed += views.size();
    for (std::string_view v : views) job.bytes_replayed += v.size();
  }
  job.done_bytes += source->LogBytesBetween(job.cursor, next);
  job.cursor = next;
  job.updated_millis = clock_->NowMillis();
  if (past_window || !(job.cursor < job.end)) return finish("completed", "");
  return true;
}

}  // namespace hydrant::stream
