// FunctionRegistry: persistence of function definitions and their unpacked code.
#include "functions/function_registry.h"

#include <openssl/evp.h>
#include <openssl/sha.h>
#include <sys/stat.h>
#include <zip.h>

#include <algorithm>
#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <spdlog/spdlog.h>

#include "common/base64.h"
#include "common/ids.h"

namespace hydrant::functions {
namespace {

namespace json = boost::json;
namespace fs = std::filesystem;

constexpr int64_t kMaxUnzippedBytes = 250ll << 20;
constexpr char kDefinitionFile[] = "function.json";
constexpr char kCodeDir[] = "code";

// A stable digest of a directory tree: relative paths and contents in sorted order.
Result<std::pair<std::string, int64_t>> DigestDirectory(const std::string& dir) {
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return Status::InvalidArgument("code directory " + dir + " does not exist");
  std::vector<fs::path> files;
  for (auto it = fs::recursive_directory_iterator(dir, ec); !ec && it != fs::end(it); it.increment(ec)) {
    if (it->is_regular_file(ec)) files.push_back(it->path());
  }
  if (ec) return Status::IOError("cannot list " + dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr);
  int64_t size = 0;
  for (const auto& file : files) {
    std::string rel = fs::relative(file, dir, ec).string();
    EVP_DigestUpdate(ctx.get(), rel.data(), rel.size() + 1);
    std::ifstream in(file, std::ios::binary);
    char buf[65536];
    while (in.read(buf, sizeof buf) || in.gcount() > 0) {
      EVP_DigestUpdate(ctx.get(), buf, static_cast<size_t>(in.gcount()));
      size += in.gcount();
    }
  }
  unsigned char digest[SHA256_DIGEST_LENGTH];
  EVP_DigestFinal_ex(ctx.get(), digest, nullptr);
  return std::make_pair(Base64Encode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest)), size);
}

// A path inside a zip is safe when it is relative and never climbs above its root.
bool SafeEntryName(std::string_view name) {
  if (name.empty() || name.front() == '/' || name.find('\\') != std::string_view::npos) return false;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find('/', start);
    if (end == std::string_view::npos) end = name.size();
    if (name.substr(start, end - start) == "..") return false;
    start = end + 1;
  }
  return true;
}

}  // namespace

std::string CodeSha256(std::string_view bytes) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), digest);
  return Base64Encode(std::string_view(reinterpret_cast<char*>(digest), sizeof digest));
}

Result<int64_t> UnpackZip(std::string_view zip, const std::string& dest) {
  zip_error_t error;
  zip_error_init(&error);
  zip_source_t* source = zip_source_buffer_create(zip.data(), zip.size(), 0, &error);
  if (!source) return Status::InvalidArgument("Could not unzip uploaded file. Please check your file, then try to upload again.");
  zip_t* archive = zip_open_from_source(source, ZIP_RDONLY | ZIP_CHECKCONS, &error);
  zip_error_fini(&error);
  if (!archive) {
    zip_source_free(source);
    return Status::InvalidArgument("Could not unzip uploaded file. Please check your file, then try to upload again.");
  }
  std::unique_ptr<zip_t, void (*)(zip_t*)> closer(archive, [](zip_t* z) { zip_discard(z); });
  std::error_code ec;
  fs::create_directories(dest, ec);
  if (ec) return Status::IOError("cannot create " + dest + ": " + ec.message());
  int64_t total = 0;
  zip_int64_t entries = zip_get_num_entries(archive, 0);
  for (zip_int64_t i = 0; i < entries; ++i) {
    zip_stat_t st;
    if (zip_stat_index(archive, i, 0, &st) != 0 || !(st.valid & ZIP_STAT_NAME)) {
      return Status::InvalidArgument("Could not unzip uploaded file: damaged entry");
    }
    std::string name = st.name;
    if (!SafeEntryName(name)) return Status::InvalidArgument("Zip entry '" + name + "' escapes the code directory");
    zip_uint8_t opsys = 0;
    zip_uint32_t attributes = 0;
    zip_file_get_external_attributes(archive, i, 0, &opsys, &attributes);
    mode_t mode = opsys == ZIP_OPSYS_UNIX ? static_cast<mode_t>(attributes >> 16) : 0;
    if (S_ISLNK(mode)) return Status::InvalidArgument("Zip entry '" + name + "' is a symbolic link");
    fs::path target = fs::path(dest) / name;
    if (name.back() == '/') {
      fs::create_directories(target, ec);
      if (ec) return Status::IOError("cannot create " + target.string() + ": " + ec.message());
      continue;
    }
    total += static_cast<int64_t>(st.size);
    if (total > kMaxUnzippedBytes) {
      return Status::InvalidArgument("Unzipped size must be smaller than 262144000 bytes");
    }
    fs::create_directories(target.parent_path(), ec);
    zip_file_t* file = zip_fopen_index(archive, i, 0);
    if (!file) return Status::InvalidArgument("Could not unzip uploaded file: cannot read '" + name + "'");
    std::ofstream out(target, std::ios::binary | std::ios::trunc);
    char buf[65536];
    zip_int64_t n;
    while ((n = zip_fread(file, buf, sizeof buf)) > 0) out.write(buf, n);
    zip_fclose(file);
    if (n < 0) return Status::InvalidArgument("Could not unzip uploaded file: corrupt data in '" + name + "'");
    out.close();
    if (!out) return Status::IOError("cannot write " + target.string());
    ::chmod(target.c_str(), (mode & 0111) ? 0755 : 0644);
  }
  return total;
}

std::string DefinitionToJson(const FunctionDefinition& d) {
  json::object env;
  for (const auto& [k, v] : d.environment) env[k] = v;
  json::object o{{"name", d.name},
                 {"runtime", d.runtime},
                 {"handler", d.handler},
                 {"code_dir", d.code_dir},
                 {"timeout_seconds", d.timeout_seconds},
                 {"memory_mb", d.memory_mb},
                 {"environment", std::move(env)},
                 {"concurrency", d.concurrency},
                 {"description", d.description},
                 {"role", d.role},
                 {"last_modified_millis", d.last_modified_millis},
                 {"code_sha256", d.code_sha256},
                 {"code_size", d.code_size},
                 {"remote_endpoint", d.remote_endpoint},
                 {"remote_region", d.remote_region},
                 {"remote_access_key", d.remote_access_key},
                 {"remote_secret_key", d.remote_secret_key},
                 {"remote_function", d.remote_function},
                 {"remote_ca_bundle", d.remote_ca_bundle},
                 {"remote_skip_verify", d.remote_skip_verify}};
  return json::serialize(o);
}

Result<FunctionDefinition> DefinitionFromJson(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::Corruption("function.json is not a JSON object");
  const json::object& o = v.as_object();
  FunctionDefinition d;
  auto str = [&](const char* key, std::string* out) {
    if (auto* p = o.if_contains(key); p && p->is_string()) *out = std::string(p->as_string());
  };
  auto num = [&](const char* key, auto* out) {
    if (auto* p = o.if_contains(key); p && p->is_int64()) *out = static_cast<std::remove_reference_t<decltype(*out)>>(p->as_int64());
  };
  str("name", &d.name);
  str("runtime", &d.runtime);
  str("handler", &d.handler);
  str("code_dir", &d.code_dir);
  num("timeout_seconds", &d.timeout_seconds);
  num("memory_mb", &d.memory_mb);
  num("concurrency", &d.concurrency);
  str("description", &d.description);
  str("role", &d.role);
  num("last_modified_millis", &d.last_modified_millis);
  str("code_sha256", &d.code_sha256);
  num("code_size", &d.code_size);
  str("remote_endpoint", &d.remote_endpoint);
  str("remote_region", &d.remote_region);
  str("remote_access_key", &d.remote_access_key);
  str("remote_secret_key", &d.remote_secret_key);
  str("remote_function", &d.remote_function);
  str("remote_ca_bundle", &d.remote_ca_bundle);
  if (auto* p = o.if_contains("remote_skip_verify"); p && p->is_bool()) d.remote_skip_verify = p->as_bool();
  if (auto* p = o.if_contains("environment"); p && p->is_object()) {
    for (const auto& [k, val] : p->as_object()) {
      if (val.is_string()) d.environment[std::string(k)] = std::string(val.as_string());
    }
  }
  if (!FunctionRegistry::ValidName(d.name)) return Status::Corruption("function.json has a bad name");
  return d;
}

Result<FunctionDefinition> ParseDeclaredFunction(std::string_view text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  if (ec || !v.is_object()) return Status::InvalidArgument("each function must be a mapping");
  FunctionDefinition d;
  d.role = "arn:aws:iam::000000000000:role/hydrant-config";
  for (const json::key_value_pair& member : v.as_object()) {
    // Named references, not a structured binding: clang 14 cannot capture bindings in lambdas.
    std::string_view key = member.key();
    const json::value& value = member.value();
    auto str = [&](std::string* out) {
      if (!value.is_string()) return Status::InvalidArgument("function setting '" + std::string(key) + "' must be a string");
      *out = std::string(value.as_string());
      return Status::Ok();
    };
    auto num = [&](int* out) {
      if (!value.is_int64()) return Status::InvalidArgument("function setting '" + std::string(key) + "' must be an integer");
      *out = static_cast<int>(value.as_int64());
      return Status::Ok();
    };
    Status s;
    if (key == "name") s = str(&d.name);
    else if (key == "code_dir") s = str(&d.code_dir);
    else if (key == "runtime") s = str(&d.runtime);
    else if (key == "handler") s = str(&d.handler);
    else if (key == "description") s = str(&d.description);
    else if (key == "timeout") s = num(&d.timeout_seconds);
    else if (key == "memory_size") s = num(&d.memory_mb);
    else if (key == "concurrency") s = num(&d.concurrency);
    else if (key == "endpoint") s = str(&d.remote_endpoint);
    else if (key == "region") s = str(&d.remote_region);
    else if (key == "access_key_id") s = str(&d.remote_access_key);
    else if (key == "secret_access_key") s = str(&d.remote_secret_key);
    else if (key == "function") s = str(&d.remote_function);
    else if (key == "ca_bundle") s = str(&d.remote_ca_bundle);
    else if (key == "insecure_skip_verify") {
      if (!value.is_bool()) return Status::InvalidArgument("function setting 'insecure_skip_verify' must be true or false");
      d.remote_skip_verify = value.as_bool();
    } else if (key == "environment") {
      if (!value.is_object()) return Status::InvalidArgument("function setting 'environment' must be a mapping");
      for (const auto& [k, val] : value.as_object()) {
        if (val.is_string()) d.environment[std::string(k)] = std::string(val.as_string());
        else d.environment[std::string(k)] = json::serialize(val);
      }
    } else {
      return Status::InvalidArgument("unknown function setting '" + std::string(key) + "'");
    }
    HYDRANT_RETURN_IF_ERROR(s);
  }
  if (d.name.empty()) return Status::InvalidArgument("a function needs a name");
  if (d.remote_endpoint.empty() && d.code_dir.empty()) {
    return Status::InvalidArgument("function " + d.name + " needs code_dir (local) or endpoint (remote)");
  }
  return d;
}

bool FunctionRegistry::ValidName(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  return std::all_of(name.begin(), name.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

bool FunctionRegistry::LocalRuntime(std::string_view runtime) {
  return runtime.starts_with("python3") || runtime.starts_with("nodejs");
}

Result<std::unique_ptr<FunctionRegistry>> FunctionRegistry::Open(Env* env, std::string dir, Clock* clock) {
  // Code paths derive from dir and are handed to workers that chdir: keep it absolute.
  dir = fs::absolute(dir).lexically_normal().string();
  std::unique_ptr<FunctionRegistry> registry(new FunctionRegistry(env, std::move(dir), clock));
  HYDRANT_RETURN_IF_ERROR(registry->env_->CreateDirs(registry->dir_));
  HYDRANT_RETURN_IF_ERROR(registry->Load());
  return registry;
}

Status FunctionRegistry::Load() {
  auto children = env_->GetChildren(dir_);
  if (!children.ok()) return children.status();
  for (const auto& child : *children) {
    std::string path = JoinPath(dir_, child);
    // Names never contain '.', so a dotted entry is the staging area of an interrupted create.
    if (child.find('.') != std::string::npos) {
      HYDRANT_RETURN_IF_ERROR(env_->RemoveDirRecursively(path));
      continue;
    }
    // An interrupted code swap: code/ moved aside but the new one not yet in place.
    std::string code = JoinPath(path, kCodeDir);
    auto entries = env_->GetChildren(path);
    if (!entries.ok()) continue;
    for (const auto& entry : *entries) {
      if (entry.starts_with("code.old-") && !env_->FileExists(code)) {
        HYDRANT_RETURN_IF_ERROR(env_->RenameFile(JoinPath(path, entry), code));
      } else if (entry.starts_with("code.")) {
        HYDRANT_RETURN_IF_ERROR(env_->RemoveDirRecursively(JoinPath(path, entry)));
      }
    }
    auto text = env_->ReadFile(JoinPath(path, kDefinitionFile));
    if (!text.ok()) {
      spdlog::warn("function directory {} has no readable {}; ignored", path, kDefinitionFile);
      continue;
    }
    auto definition = DefinitionFromJson(*text);
    if (!definition.ok()) return Status::Corruption(path + ": " + definition.status().message());
    // A function created from a zip runs its own code/. Earlier versions stored that path as
    // given (relative to the server's working directory, which a worker leaves by chdir), so
    // it is derived from where the function lies now and the repair is persisted.
    if (definition->remote_endpoint.empty() && env_->FileExists(code)) {
      std::string owned = fs::absolute(code).lexically_normal().string();
      if (definition->code_dir != owned) {
        spdlog::info("function {}: code directory {} repaired to {}", definition->name,
                     definition->code_dir, owned);
        definition->code_dir = owned;
        HYDRANT_RETURN_IF_ERROR(Persist(*definition, path));
      }
    }
    functions_[definition->name] = std::move(*definition);
  }
  return Status::Ok();
}

Status FunctionRegistry::Validate(const FunctionDefinition& d) const {
  if (!ValidName(d.name)) {
    return Status::Validation("1 validation error detected: Value '" + d.name +
                              "' at 'functionName' failed to satisfy constraint: Member must satisfy "
                              "regular expression pattern: [a-zA-Z0-9-_]+ and have length 1-64");
  }
  if (d.timeout_seconds < 1 || d.timeout_seconds > 900) {
    return Status::Validation("1 validation error detected: Value '" + std::to_string(d.timeout_seconds) +
                              "' at 'timeout' failed to satisfy constraint: Member must have value "
                              "between 1 and 900");
  }
  if (d.memory_mb < 128 || d.memory_mb > 10240) {
    return Status::Validation("1 validation error detected: Value '" + std::to_string(d.memory_mb) +
                              "' at 'memorySize' failed to satisfy constraint: Member must have value "
                              "between 128 and 10240");
  }
  if (d.concurrency < 1) return Status::Validation("concurrency must be at least 1");
  if (!d.remote_endpoint.empty()) return Status::Ok();
  if (!LocalRuntime(d.runtime)) {
    return Status::InvalidArgument("The runtime parameter of " + d.runtime +
                                   " is not supported by Hydrant: use python3.x or nodejsNN.x");
  }
  auto dot = d.handler.rfind('.');
  if (dot == std::string::npos || dot == 0 || dot + 1 == d.handler.size()) {
    return Status::InvalidArgument("Handler '" + d.handler + "' must be module.function");
  }
  return Status::Ok();
}

int64_t FunctionRegistry::NextModified(int64_t previous) const {
  // Strictly increasing, so invokers can tell a changed function from an unchanged one.
  return std::max(clock_->NowMillis(), previous + 1);
}

Status FunctionRegistry::Persist(const FunctionDefinition& d, const std::string& function_dir) {
  return env_->WriteFileAtomic(JoinPath(function_dir, kDefinitionFile), DefinitionToJson(d));
}

Result<FunctionDefinition> FunctionRegistry::CreateLocked(FunctionDefinition d, std::string_view zip,
                                                          const std::string& code_dir) {
  HYDRANT_RETURN_IF_ERROR(Validate(d));
  if (functions_.count(d.name) || declared_.count(d.name)) {
    return Status::AlreadyExists("Function already exist: " + d.name);
  }
  std::string final_dir = FunctionDir(d.name);
  std::string staging = JoinPath(dir_, d.name + ".creating-" + RandomHex(8));
  HYDRANT_RETURN_IF_ERROR(env_->CreateDirs(staging));
  auto fail = [&](Status s) {
    (void)env_->RemoveDirRecursively(staging);
    return s;
  };
  if (code_dir.empty()) {
    auto size = UnpackZip(zip, JoinPath(staging, kCodeDir));
    if (!size.ok()) return fail(size.status());
    d.code_dir = JoinPath(final_dir, kCodeDir);
    d.code_sha256 = CodeSha256(zip);
    d.code_size = static_cast<int64_t>(zip.size());
  } else {
    auto digest = DigestDirectory(code_dir);
    if (!digest.ok()) return fail(digest.status());
    d.code_dir = fs::absolute(code_dir).lexically_normal().string();
    d.code_sha256 = digest->first;
    d.code_size = digest->second;
  }
  d.last_modified_millis = NextModified(0);
  if (Status s = Persist(d, staging); !s.ok()) return fail(s);
  if (env_->FileExists(final_dir)) (void)env_->RemoveDirRecursively(final_dir);  // an unlisted leftover
  if (Status s = env_->RenameFile(staging, final_dir); !s.ok()) return fail(s);
  HYDRANT_RETURN_IF_ERROR(env_->SyncDir(dir_));
  functions_[d.name] = d;
  return d;
}

void FunctionRegistry::SetChangeListener(std::function<void(const Change&)> listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

Result<FunctionDefinition> FunctionRegistry::Changed(Result<FunctionDefinition> result,
                                                     std::optional<std::string> zip) const {
  std::function<void(const Change&)> listener;
  {
    std::lock_guard lock(mu_);
    listener = listener_;
  }
  if (result.ok() && listener) listener(Change{result->name, DefinitionToJson(*result), std::move(zip)});
  return result;
}

Status FunctionRegistry::Apply(const Change& change) {
  std::lock_guard lock(mu_);
  if (declared_.count(change.name)) return Status::Ok();  // this node's config file decides
  if (functions_.count(change.name)) HYDRANT_RETURN_IF_ERROR(DeleteLocked(change.name));
  if (!change.definition) return Status::Ok();
  auto definition = DefinitionFromJson(*change.definition);
  if (!definition.ok()) return definition.status();
  const std::string code_dir = change.zip ? "" : definition->code_dir;
  auto created = CreateLocked(std::move(*definition), change.zip ? *change.zip : "", code_dir);
  return created.status();
}

Result<FunctionDefinition> FunctionRegistry::CreateFromZip(FunctionDefinition definition, std::string_view zip) {
  Result<FunctionDefinition> created = Status::Internal("not created");
  {
    std::lock_guard lock(mu_);
    created = CreateLocked(std::move(definition), zip, "");
  }
  return Changed(std::move(created), std::string(zip));
}

Result<FunctionDefinition> FunctionRegistry::CreateFromDirectory(FunctionDefinition definition,
                                                                 const std::string& code_dir) {
  if (code_dir.empty()) return Status::InvalidArgument("code directory must not be empty");
  Result<FunctionDefinition> created = Status::Internal("not created");
  {
    std::lock_guard lock(mu_);
    created = CreateLocked(std::move(definition), "", code_dir);
  }
  return Changed(std::move(created), std::nullopt);
}

Result<FunctionDefinition> FunctionRegistry::UpdateCodeLocked(const std::string& name, std::string_view zip,
                                                              const std::string& code_dir) {
  if (declared_.count(name)) {
    return Status::FailedPrecondition("Function " + name + " is declared in the config file; change it there");
  }
  auto it = functions_.find(name);
  if (it == functions_.end()) return Status::NotFound(name);
  FunctionDefinition d = it->second;
  std::string function_dir = FunctionDir(name);
  std::string owned_code = JoinPath(function_dir, kCodeDir);
  if (code_dir.empty()) {
    std::string fresh = JoinPath(function_dir, std::string("code.new-") + RandomHex(8));
    auto size = UnpackZip(zip, fresh);
    if (!size.ok()) {
      (void)env_->RemoveDirRecursively(fresh);
      return size.status();
    }
    std::string old = JoinPath(function_dir, std::string("code.old-") + RandomHex(8));
    if (env_->FileExists(owned_code)) HYDRANT_RETURN_IF_ERROR(env_->RenameFile(owned_code, old));
    HYDRANT_RETURN_IF_ERROR(env_->RenameFile(fresh, owned_code));
    HYDRANT_RETURN_IF_ERROR(env_->SyncDir(function_dir));
    if (env_->FileExists(old)) (void)env_->RemoveDirRecursively(old);
    d.code_dir = owned_code;
    d.code_sha256 = CodeSha256(zip);
    d.code_size = static_cast<int64_t>(zip.size());
  } else {
    auto digest = DigestDirectory(code_dir);
    if (!digest.ok()) return digest.status();
    d.code_dir = fs::absolute(code_dir).lexically_normal().string();
    d.code_sha256 = digest->first;
    d.code_size = digest->second;
  }
  d.last_modified_millis = NextModified(d.last_modified_millis);
  HYDRANT_RETURN_IF_ERROR(Persist(d, function_dir));
  if (!code_dir.empty() && env_->FileExists(owned_code)) (void)env_->RemoveDirRecursively(owned_code);
  it->second = d;
  return d;
}

Result<FunctionDefinition> FunctionRegistry::UpdateCodeFromZip(const std::string& name, std::string_view zip) {
  Result<FunctionDefinition> updated = Status::Internal("not updated");
  {
    std::lock_guard lock(mu_);
    updated = UpdateCodeLocked(name, zip, "");
  }
  return Changed(std::move(updated), std::string(zip));
}

Result<FunctionDefinition> FunctionRegistry::UpdateCodeFromDirectory(const std::string& name,
                                                                     const std::string& code_dir) {
  if (code_dir.empty()) return Status::InvalidArgument("code directory must not be empty");
  Result<FunctionDefinition> updated = Status::Internal("not updated");
  {
    std::lock_guard lock(mu_);
    updated = UpdateCodeLocked(name, "", code_dir);
  }
  return Changed(std::move(updated), std::nullopt);
}

Result<FunctionDefinition> FunctionRegistry::UpdateConfiguration(
    const std::string& name, const std::function<Status(FunctionDefinition*)>& change) {
  Result<FunctionDefinition> updated = Status::Internal("not updated");
  {
    std::lock_guard lock(mu_);
    updated = UpdateConfigurationLocked(name, change);
  }
  return Changed(std::move(updated), std::nullopt);
}

Result<FunctionDefinition> FunctionRegistry::UpdateConfigurationLocked(
    const std::string& name, const std::function<Status(FunctionDefinition*)>& change) {
  if (declared_.count(name)) {
    return Status::FailedPrecondition("Function " + name + " is declared in the config file; change it there");
  }
  auto it = functions_.find(name);
  if (it == functions_.end()) return Status::NotFound(name);
  FunctionDefinition d = it->second;
  HYDRANT_RETURN_IF_ERROR(change(&d));
  d.name = it->second.name;
  d.code_dir = it->second.code_dir;
  d.code_sha256 = it->second.code_sha256;
  d.code_size = it->second.code_size;
  HYDRANT_RETURN_IF_ERROR(Validate(d));
  d.last_modified_millis = NextModified(it->second.last_modified_millis);
  HYDRANT_RETURN_IF_ERROR(Persist(d, FunctionDir(name)));
  it->second = d;
  return d;
}

Status FunctionRegistry::Delete(const std::string& name) {
  std::function<void(const Change&)> listener;
  {
    std::lock_guard lock(mu_);
    if (declared_.count(name)) {
      return Status::FailedPrecondition("Function " + name + " is declared in the config file; remove it there");
    }
    if (!functions_.count(name)) return Status::NotFound(name);
    HYDRANT_RETURN_IF_ERROR(DeleteLocked(name));
    listener = listener_;
  }
  if (listener) listener(Change{name, std::nullopt, std::nullopt});
  return Status::Ok();
}

Status FunctionRegistry::DeleteLocked(const std::string& name) {
  // Rename first so a crash mid-removal leaves a dotted leftover that Load() cleans up.
  std::string doomed = JoinPath(dir_, name + ".deleting-" + RandomHex(8));
  HYDRANT_RETURN_IF_ERROR(env_->RenameFile(FunctionDir(name), doomed));
  HYDRANT_RETURN_IF_ERROR(env_->SyncDir(dir_));
  functions_.erase(name);
  return env_->RemoveDirRecursively(doomed);
}

Result<FunctionDefinition> FunctionRegistry::Get(const std::string& name) const {
  std::lock_guard lock(mu_);
  if (auto it = declared_.find(name); it != declared_.end()) return it->second;
  if (auto it = functions_.find(name); it != functions_.end()) return it->second;
  return Status::NotFound(name);
}

std::vector<FunctionDefinition> FunctionRegistry::List() const {
  std::lock_guard lock(mu_);
  std::map<std::string, FunctionDefinition> all = functions_;
  for (const auto& [name, d] : declared_) all[name] = d;
  std::vector<FunctionDefinition> out;
  for (auto& [name, d] : all) out.push_back(std::move(d));
  return out;
}

Status FunctionRegistry::RegisterDeclared(FunctionDefinition d) {
  HYDRANT_RETURN_IF_ERROR(Validate(d));
  if (d.remote_skip_verify) {
    spdlog::warn("function {}: insecure_skip_verify is set: the certificate of {} is not verified", d.name,
                 d.remote_endpoint);
  }
  if (d.remote_endpoint.empty()) {
    auto digest = DigestDirectory(d.code_dir);
    if (!digest.ok()) return Status::InvalidArgument("function " + d.name + ": " + digest.status().message());
    d.code_dir = fs::absolute(d.code_dir).lexically_normal().string();
    d.code_sha256 = digest->first;
    d.code_size = digest->second;
  }
  std::lock_guard lock(mu_);
  int64_t previous = 0;
  if (auto it = declared_.find(d.name); it != declared_.end()) previous = it->second.last_modified_millis;
  if (auto it = functions_.find(d.name); it != functions_.end()) previous = std::max(previous, it->second.last_modified_millis);
  d.last_modified_millis = NextModified(previous);
  declared_[d.name] = std::move(d);
  return Status::Ok();
}

}  // namespace hydrant::functions
