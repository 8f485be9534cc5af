// FunctionRegistry: the Lambda functions Hydrant knows, persisted under
// <data-dir>/functions/<name>/ (function.json + code/), plus functions declared in the config file.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/env.h"
#include "common/status.h"
#include "functions/function_definition.h"

namespace hydrant::functions {

// Thread-safe. Every mutation is durable when it returns: function.json is written atomically
// and a function directory appears (or its code/ is swapped) by rename, so a crash leaves the
// old or the new function, never half of one. Failure modes: kValidation (bad name/handler/
// runtime), kInvalidArgument (a zip that cannot be unpacked, an entry escaping code/, a code
// directory that does not exist), kAlreadyExists, kNotFound, kFailedPrecondition (changing a
// function declared in the config file through the API), kIOError.
class FunctionRegistry {
 public:
  // `dir` is <data-dir>/functions; created if missing. Leftovers of interrupted mutations are
  // rolled back or removed.
  static Result<std::unique_ptr<FunctionRegistry>> Open(Env* env, std::string dir, Clock* clock);

  // Creates `definition.name` from a deployment package (zip bytes), unpacked into its code/.
  // code_dir, code_sha256, code_size and last_modified_millis are filled in.
  Result<FunctionDefinition> CreateFromZip(FunctionDefinition definition, std::string_view zip);
  // Creates a function whose code stays in `code_dir` (an existing local directory, used in
  // place: edits to it reach workers started afterwards).
  Result<FunctionDefinition> CreateFromDirectory(FunctionDefinition definition,
                                                 const std::string& code_dir);
  Result<FunctionDefinition> UpdateCodeFromZip(const std::string& name, std::string_view zip);
  Result<FunctionDefinition> UpdateCodeFromDirectory(const std::string& name,
                                                     const std::string& code_dir);
  // Applies `change` to a copy of the definition, validates and persists it. `change` must not
  // touch name or code fields; it may return an error to abort.
  Result<FunctionDefinition> UpdateConfiguration(
      const std::string& name, const std::function<Status(FunctionDefinition*)>& change);
  Status Delete(const std::string& name);
  Result<FunctionDefinition> Get(const std::string& name) const;
  // Every function (declared and created), sorted by name.
  std::vector<FunctionDefinition> List() const;

  // A function from the config file: kept in memory only (the config file is its source of
  // truth), shadowing a persisted one of the same name. Local ones need runtime, handler and an
  // existing code_dir; remote ones need remote_endpoint. Replaces an earlier declaration.
  Status RegisterDeclared(FunctionDefinition definition);

  // Cluster mode: the functions are shared by every node. The listener hears of each change
  // made through the methods above (not RegisterDeclared), after it is made: the function's
  // definition (DefinitionToJson; nullopt when it was deleted) and, when its code changed to a
  // deployment package, that package. Apply makes a change heard on another node here (the
  // listener does not hear it again).
  struct Change {
    std::string name;
    std::optional<std::string> definition;
    std::optional<std::string> zip;
  };
  void SetChangeListener(std::function<void(const Change&)> listener);
  Status Apply(const Change& change);

  // Name rules shared with the API: 1-64 of [A-Za-z0-9_-].
  static bool ValidName(std::string_view name);
  // Whether Hydrant can run `runtime` locally (python3.x, nodejsNN.x).
  static bool LocalRuntime(std::string_view runtime);

 private:
  FunctionRegistry(Env* env, std::string dir, Clock* clock) : env_(env), dir_(std::move(dir)), clock_(clock) {}
  Status Load();
  Status Validate(const FunctionDefinition& definition) const;
  Status Persist(const FunctionDefinition& definition, const std::string& function_dir);
  Result<FunctionDefinition> CreateLocked(FunctionDefinition definition, std::string_view zip,
                                          const std::string& code_dir);
  Result<FunctionDefinition> UpdateCodeLocked(const std::string& name, std::string_view zip,
                                              const std::string& code_dir);
  std::string FunctionDir(const std::string& name) const { return JoinPath(dir_, name); }
  Status DeleteLocked(const std::string& name);
  Result<FunctionDefinition> UpdateConfigurationLocked(const std::string& name,
                                                       const std::function<Status(FunctionDefinition*)>& change);
  // Tells the listener of `result`'s function, when the change succeeded.
  Result<FunctionDefinition> Changed(Result<FunctionDefinition> result, std::optional<std::string> zip) const;
  int64_t NextModified(int64_t previous) const;

  Env* env_;
  std::string dir_;
  Clock* clock_;
  mutable std::mutex mu_;
  std::map<std::string, FunctionDefinition> functions_;  // persisted ones
  std::map<std::string, FunctionDefinition> declared_;   // from the config file
  std::function<void(const Change&)> listener_;          // set before the API serves
};

// Unpacks zip bytes into `dest` (created). Entries must stay inside dest (no absolute paths, no
// ".."); symlinks are rejected; at most 250 MB unpacked (Lambda's limit). kInvalidArgument on
// any violation or a damaged archive. Returns the unpacked byte count.
Result<int64_t> UnpackZip(std::string_view zip, const std::string& dest);

// base64 of the SHA-256 of `bytes`, the way Lambda reports CodeSha256.
std::string CodeSha256(std::string_view bytes);

// A function declared in the server config file, given as a JSON object (main converts the
// YAML entry). Keys: name; for a local function code_dir, runtime, handler, and optionally
// timeout (s), memory_size (MB), concurrency, environment {K: V}, description; for a remote one
// endpoint, and optionally region, access_key_id, secret_access_key, function (remote name or
// ARN; default: name), timeout. kInvalidArgument for unknown keys or wrong types.
Result<FunctionDefinition> ParseDeclaredFunction(std::string_view json_object);

// FunctionDefinition <-> function.json.
std::string DefinitionToJson(const FunctionDefinition& definition);
Result<FunctionDefinition> DefinitionFromJson(std::string_view json);

}  // namespace hydrant::functions
