// Fuzzes the S3 REST side: bucket-name and key validation with the key-to-file mapping, and
// whole requests through S3Handler on a real ObjectStore in a temp dir.
//
// Input: "<METHOD> <target>\n<Header>: <value>\n...\n\n<body>" (missing parts are empty). The
// same bytes are also checked as a bucket name and as an object key.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "api/s3_handler.h"
#include "common/clock.h"
#include "common/env.h"
#include "http/http_types.h"
#include "store/key_path.h"
#include "store/object_store.h"

namespace {

namespace store = hydrant::store;

void Check(bool ok, const char* what, std::string_view input) {
  if (!ok) {
    fprintf(stderr, "check failed: %s (input %zu bytes)\n", what, input.size());
    abort();
  }
}

// A valid key maps to a relative path inside the bucket folder; every component's chunks decode
// back to the component and stay within NAME_MAX; stored under that key, an object reads back
// and lists under the same key (the file names decode back on listing).
void FuzzKeyPath(store::ObjectStore& objects, std::string_view key) {
  (void)store::ValidateBucketName(key);
  if (!store::ValidateObjectKey(key).ok()) return;
  const std::string path = store::KeyToRelativePath(key);
  Check(!path.empty() && path.front() != '/', "relative path", key);
  size_t start = 0;
  while (start <= path.size()) {
    size_t end = path.find('/', start);
    if (end == std::string::npos) end = path.size();
    std::string_view name(path.data() + start, end - start);
    Check(!name.empty() && name != "." && name != ".." && name.size() <= 255, "safe file name", key);
    Check(store::ParseEntryName(name).kind != store::EntryKind::kForeign, "own entry name", key);
    start = end + 1;
  }
  size_t from = 0;
  while (from <= key.size()) {
    size_t slash = key.find('/', from);
    if (slash == std::string_view::npos) slash = key.size();
    std::string_view component = key.substr(from, slash - from);
    auto decoded = store::DecodeComponent(store::EncodeComponent(component));
    Check(decoded && *decoded == component, "component round trip", key);
    from = slash + 1;
  }
  const std::string k(key);
  Check(objects.PutObject("keys", k, key, "text/plain").ok(), "put under a valid key", key);
  auto got = objects.GetObject("keys", k);
  Check(got.ok() && got->data == key, "get under a valid key", key);
  auto listed = objects.ListObjects("keys", store::ListRequest{.prefix = k, .max_keys = 1});
  Check(listed.ok() && listed->objects.size() == 1 && listed->objects[0].key == key, "list under a valid key", key);
  Check(objects.DeleteObject("keys", k).ok(), "delete under a valid key", key);
}

hydrant::http::HttpRequest ParseRequest(std::string_view in) {
  hydrant::http::HttpRequest request;
  auto take_line = [&in]() {
    size_t nl = in.find('\n');
    std::string_view line = in.substr(0, nl);
    in.remove_prefix(nl == std::string_view::npos ? in.size() : nl + 1);
    return line;
  };
  std::string_view first = take_line();
  size_t space = first.find(' ');
  request.method = std::string(first.substr(0, space));
  if (space != std::string_view::npos) request.target = std::string(first.substr(space + 1));
  while (!in.empty()) {
    std::string_view line = take_line();
    if (line.empty()) break;
    size_t colon = line.find(':');
    std::string_view name = line.substr(0, colon), value;
    if (colon != std::string_view::npos) value = line.substr(colon + 1);
    while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
    request.headers[std::string(name)] = std::string(value);
  }
  request.body = std::string(in);
  return request;
}

struct Store {
  hydrant::SystemClock clock;
  std::string root;
  std::unique_ptr<store::ObjectStore> store;
  std::unique_ptr<hydrant::api::S3Handler> handler;
  int uses = 0;

  Store() {
    // tmpfs when there is one: the store fsyncs every object.
    root = std::string(access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp") + "/hydrant-fuzz-s3-XXXXXX";
    if (!mkdtemp(root.data())) abort();
    Reset();
  }
  // A fresh store now and then keeps the disk use and per-request listing cost bounded.
  void Reset() {
    handler.reset();
    store.reset();
    (void)hydrant::Env::Default()->RemoveDirRecursively(root + "/s");
    store = std::make_unique<store::ObjectStore>(hydrant::Env::Default(), root + "/s", &clock,
                                                 store::ObjectStoreOptions{.min_part_bytes = 4});
    if (!store->Init().ok()) abort();
    if (!store->CreateBucket("bucket").ok() || !store->CreateBucket("keys").ok()) abort();
    handler = std::make_unique<hydrant::api::S3Handler>(store.get());
    uses = 0;
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // Never destroyed (libFuzzer exits from anywhere); the temp dir goes at exit.
  static Store* s = [] {
    static Store* store = new Store();
    atexit([] { (void)hydrant::Env::Default()->RemoveDirRecursively(store->root); });
    return store;
  }();
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  FuzzKeyPath(*s->store, input);

  hydrant::http::HttpRequest request = ParseRequest(input);
  (void)request.Path();
  (void)request.Query();
  if (++s->uses > 2000) s->Reset();
  hydrant::http::HttpResponse response = s->handler->Handle(request);
  Check(response.status >= 200 && response.status <= 599, "HTTP status", input);
  return 0;
}
