// GlueCatalog: databases, tables and table versions in memory, each change written to disk
// before it is answered.
#include "schema/glue_catalog.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace hydrant::schema {
namespace {

namespace json = boost::json;

std::string Lower(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
  return out;
}

std::string Hex(std::string_view s) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (unsigned char c : s) out += {kDigits[c >> 4], kDigits[c & 15]};
  return out;
}

std::optional<std::string> Unhex(std::string_view s) {
  if (s.size() % 2) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < s.size(); i += 2) {
    auto digit = [](char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; };
    const int hi = digit(s[i]), lo = digit(s[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out += static_cast<char>(hi * 16 + lo);
  }
  return out;
}

std::string Name(const json::object& o, std::string_view key = "Name") {
  const json::value* v = o.if_contains(key);
  return v && v->is_string() ? std::string(v->get_string()) : "";
}

// Glue's table expressions: '|' separates alternatives, '*' matches any run; case-insensitive.
bool Matches(std::string_view name, std::string_view expression) {
  if (expression.empty()) return true;
  auto match = [](std::string_view n, std::string_view p) {
    // Iterative wildcard match with backtracking to the last '*'.
    size_t i = 0, j = 0, star = std::string_view::npos, mark = 0;
    while (i < n.size()) {
      if (j < p.size() && p[j] != '*' && std::tolower(static_cast<unsigned char>(p[j])) == std::tolower(static_cast<unsigned char>(n[i]))) {
        ++i, ++j;
      } else if (j < p.size() && p[j] == '*') {
        star = j++, mark = i;
      } else if (star != std::string_view::npos) {
        j = star + 1, i = ++mark;
      } else {
        return false;
      }
    }
    while (j < p.size() && p[j] == '*') ++j;
    return j == p.size();
  };
  while (true) {
    const size_t bar = expression.find('|');
    if (match(name, expression.substr(0, bar))) return true;
    if (bar == std::string_view::npos) return false;
    expression.remove_prefix(bar + 1);
  }
}

constexpr std::array<std::string_view, 10> kTableInputMembers = {
    "Description", "Owner", "LastAccessTime", "LastAnalyzedTime", "Retention", "StorageDescriptor",
    "PartitionKeys", "ViewOriginalText", "ViewExpandedText", "TableType"};

}  // namespace

Result<std::unique_ptr<GlueCatalog>> GlueCatalog::Open(Env* env, std::string dir, std::string catalog_id,
                                                      Clock* clock) {
  std::unique_ptr<GlueCatalog> catalog(new GlueCatalog(env, std::move(dir), std::move(catalog_id), clock));
  HYDRANT_RETURN_IF_ERROR(env->CreateDirs(catalog->dir_));
  HYDRANT_RETURN_IF_ERROR(catalog->Load());
  return catalog;
}

Status GlueCatalog::Load() {
  auto children = env_->GetChildren(dir_);
  if (!children.ok()) return children.status();
  for (const std::string& child : *children) {
    const std::string folder = JoinPath(dir_, child);
    auto name = Unhex(child);
    if (!name || !env_->FileExists(JoinPath(folder, "database.json"))) continue;  // not a database
    auto text = env_->ReadFile(JoinPath(folder, "database.json"));
    if (!text.ok()) return text.status();
    boost::system::error_code ec;
    json::value database = json::parse(*text, ec);
    if (ec || !database.is_object()) return Status::Corruption(folder + "/database.json is not a JSON object");
    Database& loaded = databases_[*name];
    loaded.database = std::move(database.get_object());
    auto files = env_->GetChildren(folder);
    if (!files.ok()) return files.status();
    for (const std::string& file : *files) {
      if (!file.starts_with("table-") || !file.ends_with(".json")) continue;
      auto table_name = Unhex(std::string_view(file).substr(6, file.size() - 11));
      if (!table_name) continue;
      auto table_text = env_->ReadFile(JoinPath(folder, file));
      if (!table_text.ok()) return table_text.status();
      json::value table = json::parse(*table_text, ec);
      const json::value* versions = !ec && table.is_object() ? table.get_object().if_contains("versions") : nullptr;
      if (!versions || !versions->is_array() || versions->get_array().empty()) {
        return Status::Corruption(folder + "/" + file + " holds no table versions");
      }
      Table& t = loaded.tables[*table_name];
      for (const json::value& v : versions->get_array()) {
        if (!v.is_object()) return Status::Corruption(folder + "/" + file + " holds a version that is not an object");
        t.versions.push_back(v.get_object());
      }
    }
  }
  return Status::Ok();
}

Result<GlueCatalog::Database*> GlueCatalog::FindDatabase(std::string_view name) {
  auto it = databases_.find(Lower(name));
  if (it == databases_.end()) return Status::NotFound("Database " + std::string(name) + " not found.");
  return &it->second;
}

Result<const GlueCatalog::Database*> GlueCatalog::FindDatabase(std::string_view name) const {
  auto it = databases_.find(Lower(name));
  if (it == databases_.end()) return Status::NotFound("Database " + std::string(name) + " not found.");
  return &it->second;
}

Result<const GlueCatalog::Table*> GlueCatalog::FindTable(std::string_view database, std::string_view name) const {
  auto db = FindDatabase(database);
  if (!db.ok()) return db.status();
  auto it = (*db)->tables.find(Lower(name));
  if (it == (*db)->tables.end()) return Status::NotFound("Table " + std::string(name) + " not found.");
  return &it->second;
}

Status GlueCatalog::CreateDatabase(const json::object& input) {
  const std::string name = Lower(Name(input));
  std::lock_guard lock(mu_);
  if (databases_.count(name)) return Status::AlreadyExists("Database already exists.");
  json::object database{{"Name", name}};
  for (std::string_view key : {"Description", "LocationUri", "Parameters"}) {
    if (const json::value* v = input.if_contains(key)) database[key] = *v;
  }
  database["CreateTime"] = static_cast<double>(clock_->NowMillis()) / 1000;
  const json::value* permissions = input.if_contains("CreateTableDefaultPermissions");
  database["CreateTableDefaultPermissions"] =
      permissions ? *permissions
                  : json::value(json::array{json::object{
                        {"Principal", {{"DataLakePrincipalIdentifier", "IAM_ALLOWED_PRINCIPALS"}}},
                        {"Permissions", json::array{"ALL"}}}});
  database["CatalogId"] = catalog_id_;
  const std::string folder = JoinPath(dir_, Hex(name));
  HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(folder));
  HYDRANT_RETURN_IF_ERROR(env_->WriteFileAtomic(JoinPath(folder, "database.json"), json::serialize(database)));
  HYDRANT_RETURN_IF_ERROR(env_->SyncDir(dir_));
  Tell(name, "", json::serialize(database));
  databases_[name].database = std::move(database);
  return Status::Ok();
}

Result<json::object> GlueCatalog::GetDatabase(std::string_view name) const {
  std::lock_guard lock(mu_);
  auto db = FindDatabase(name);
  if (!db.ok()) return db.status();
  return (*db)->database;
}

std::vector<json::object> GlueCatalog::Databases() const {
  std::lock_guard lock(mu_);
  std::vector<json::object> out;
  for (const auto& [name, db] : databases_) out.push_back(db.database);
  return out;
}

Status GlueCatalog::DeleteDatabase(std::string_view name) {
  std::lock_guard lock(mu_);
  auto db = FindDatabase(name);
  if (!db.ok()) return db.status();
  const std::string lower = Lower(name);
  const std::string folder = JoinPath(dir_, Hex(lower));
  // Without its database.json the folder is no database, even if removing the rest is cut short.
  HYDRANT_RETURN_IF_ERROR(env_->RemoveFile(JoinPath(folder, "database.json")));
  HYDRANT_RETURN_IF_ERROR(env_->SyncDir(folder));
  HYDRANT_RETURN_IF_ERROR(env_->RemoveDirRecursively(folder));
  for (const auto& [table, versions] : (*db)->tables) Tell(lower, table, std::nullopt);
  Tell(lower, "", std::nullopt);
  databases_.erase(lower);
  return Status::Ok();
}

json::object GlueCatalog::TableOf(const json::object& input, const std::string& database, double create_time,
                                  const std::string& version) const {
  json::object table{{"Name", Lower(Name(input))}, {"DatabaseName", database}};
  for (std::string_view key : kTableInputMembers) {
    if (const json::value* v = input.if_contains(key)) table[key] = *v;
  }
  table["CreateTime"] = create_time;
  table["UpdateTime"] = static_cast<double>(clock_->NowMillis()) / 1000;
  if (!table.contains("Retention")) table["Retention"] = 0;
  if (!table.contains("PartitionKeys")) table["PartitionKeys"] = json::array();
  if (const json::value* v = input.if_contains("Parameters")) table["Parameters"] = *v;
  if (const json::value* v = input.if_contains("TargetTable")) table["TargetTable"] = *v;
  table["IsRegisteredWithLakeFormation"] = false;
  table["CatalogId"] = catalog_id_;
  table["VersionId"] = version;
  return table;
}

std::string GlueCatalog::TableText(const Table& table) {
  json::array versions;
  for (const json::object& v : table.versions) versions.push_back(v);
  return json::serialize(json::object{{"versions", std::move(versions)}});
}

Status GlueCatalog::WriteTable(const std::string& database, const std::string& name, const Table& table) {
  const std::string folder = JoinPath(dir_, Hex(database));
  HYDRANT_RETURN_IF_ERROR(env_->WriteFileAtomic(JoinPath(folder, "table-" + Hex(name) + ".json"), TableText(table)));
  Tell(database, name, TableText(table));
  return Status::Ok();
}

void GlueCatalog::SetChangeListener(std::function<void(const Change&)> listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

Status GlueCatalog::Apply(const Change& change) {
  std::lock_guard lock(mu_);
  const std::string folder = JoinPath(dir_, Hex(change.database));
  boost::system::error_code ec;
  if (change.table.empty()) {
    if (!change.value) {
      HYDRANT_RETURN_IF_ERROR(env_->RemoveDirRecursively(folder));
      databases_.erase(change.database);
      return Status::Ok();
    }
    json::value database = json::parse(*change.value, ec);
    if (ec || !database.is_object()) return Status::Corruption("database " + change.database + " is not a JSON object");
    HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(folder));
    HYDRANT_RETURN_IF_ERROR(env_->WriteFileAtomic(JoinPath(folder, "database.json"), *change.value));
    databases_[change.database].database = std::move(database.get_object());
    return Status::Ok();
  }
  auto db = databases_.find(change.database);
  if (db == databases_.end()) return Status::Ok();  // deleted meanwhile
  const std::string file = JoinPath(folder, "table-" + Hex(change.table) + ".json");
  if (!change.value) {
    if (env_->FileExists(file)) HYDRANT_RETURN_IF_ERROR(env_->RemoveFile(file));
    db->second.tables.erase(change.table);
    return Status::Ok();
  }
  json::value text = json::parse(*change.value, ec);
  const json::value* versions = !ec && text.is_object() ? text.get_object().if_contains("versions") : nullptr;
  if (!versions || !versions->is_array() || versions->get_array().empty()) {
    return Status::Corruption("table " + change.table + " holds no versions");
  }
  Table table;
  for (const json::value& v : versions->get_array()) {
    if (v.is_object()) table.versions.push_back(v.get_object());
  }
  HYDRANT_RETURN_IF_ERROR(env_->WriteFileAtomic(file, *change.value));
  db->second.tables[change.table] = std::move(table);
  return Status::Ok();
}

Status GlueCatalog::CreateTable(std::string_view database, const json::object& input) {
  const std::string name = Lower(Name(input));
  std::lock_guard lock(mu_);
  auto db = FindDatabase(database);
  if (!db.ok()) return db.status();
  if ((*db)->tables.count(name)) return Status::AlreadyExists("Table already exists.");
  const std::string db_name = Lower(database);
  Table table;
  table.versions.push_back(TableOf(input, db_name, static_cast<double>(clock_->NowMillis()) / 1000, "1"));
  HYDRANT_RETURN_IF_ERROR(WriteTable(db_name, name, table));
  (*db)->tables[name] = std::move(table);
  return Status::Ok();
}

Result<json::object> GlueCatalog::GetTable(std::string_view database, std::string_view name) const {
  std::lock_guard lock(mu_);
  auto table = FindTable(database, name);
  if (!table.ok()) return table.status();
  return (*table)->versions.back();
}

Result<std::vector<json::object>> GlueCatalog::Tables(std::string_view database, std::string_view expression) const {
  std::lock_guard lock(mu_);
  auto db = FindDatabase(database);
  if (!db.ok()) return db.status();
  std::vector<json::object> out;
  for (const auto& [name, table] : (*db)->tables) {
    if (Matches(name, expression)) out.push_back(table.versions.back());
  }
  return out;
}

Status GlueCatalog::UpdateTable(std::string_view database, const json::object& input,
                                std::optional<std::string> expected_version, bool skip_archive) {
  const std::string name = Lower(Name(input));
  std::lock_guard lock(mu_);
  auto db = FindDatabase(database);
  if (!db.ok()) return db.status();
  auto it = (*db)->tables.find(name);
  if (it == (*db)->tables.end()) return Status::NotFound("Table " + Name(input) + " not found.");
  Table updated = it->second;
  const json::object& latest = updated.versions.back();
  const std::string latest_version = Name(latest, "VersionId");
  if (expected_version && *expected_version != latest_version) {
    return Status::FailedPrecondition("Update table failed due to concurrent modifications.");
  }
  const double create_time = latest.at("CreateTime").to_number<double>();
  const std::string next = std::to_string(std::stoll(latest_version) + 1);
  if (skip_archive) updated.versions.pop_back();
  updated.versions.push_back(TableOf(input, Lower(database), create_time, next));
  HYDRANT_RETURN_IF_ERROR(WriteTable(Lower(database), name, updated));
  it->second = std::move(updated);
  return Status::Ok();
}

Status GlueCatalog::DeleteTable(std::string_view database, std::string_view name) {
  std::lock_guard lock(mu_);
  auto db = FindDatabase(database);
  if (!db.ok()) return db.status();
  const std::string lower = Lower(name);
  if (!(*db)->tables.count(lower)) return Status::NotFound("Table " + std::string(name) + " not found.");
  HYDRANT_RETURN_IF_ERROR(env_->RemoveFile(JoinPath(JoinPath(dir_, Hex(Lower(database))), "table-" + Hex(lower) + ".json")));
  Tell(Lower(database), lower, std::nullopt);
  (*db)->tables.erase(lower);
  return Status::Ok();
}

Result<json::object> GlueCatalog::GetTableVersion(std::string_view database, std::string_view table_name,
                                                  std::optional<std::string> version) const {
  std::lock_guard lock(mu_);
  auto table = FindTable(database, table_name);
  if (!table.ok()) return table.status();
  const std::vector<json::object>& versions = (*table)->versions;
  if (!version || *version == "LATEST") {
    return json::object{{"Table", versions.back()}, {"VersionId", versions.back().at("VersionId")}};
  }
  for (const json::object& v : versions) {
    if (Name(v, "VersionId") == *version) return json::object{{"Table", v}, {"VersionId", v.at("VersionId")}};
  }
  return Status::NotFound("Version " + *version + " of table " + std::string(table_name) + " not found.");
}

Result<std::vector<json::object>> GlueCatalog::TableVersions(std::string_view database,
                                                             std::string_view table_name) const {
  std::lock_guard lock(mu_);
  auto table = FindTable(database, table_name);
  if (!table.ok()) return table.status();
  std::vector<json::object> out;
  for (auto it = (*table)->versions.rbegin(); it != (*table)->versions.rend(); ++it) {
    out.push_back(json::object{{"Table", *it}, {"VersionId", it->at("VersionId")}});
  }
  return out;
}

}  // namespace hydrant::schema
