// Status and Result<T>: how the data path reports failure without exceptions.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <variant>

namespace hydrant {

// A failure kind. Stages use these; api/errors.cc maps them onto AWS error types.
enum class StatusCode {
  kOk = 0,
  kInvalidArgument,   // caller's input contradicts a rule of the service (InvalidArgumentException)
  kValidation,        // caller's input breaks a model constraint: length, pattern, enum, range
  kMalformed,         // caller's bytes cannot be decoded (bad JSON, wrong types, bad base64)
  kResourceInUse,     // the resource's state does not allow the operation
  kLimitExceeded,     // a count limit of the service (streams, tags) is reached
  kNotFound,          // named thing does not exist
  kAlreadyExists,     // named thing exists
  kCorruption,        // stored bytes fail their checksum or framing
  kIOError,           // the operating system refused (errno in the message)
  kResourceExhausted, // a configured cap (disk, memory) is reached: back off
  kUnavailable,       // temporarily cannot serve: retry later
  kFailedPrecondition,// state does not allow the operation (e.g. version mismatch)
  kInternal,          // a bug or an unexpected condition
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string m) { return {StatusCode::kInvalidArgument, std::move(m)}; }
  static Status Validation(std::string m) { return {StatusCode::kValidation, std::move(m)}; }
  static Status Malformed(std::string m) { return {StatusCode::kMalformed, std::move(m)}; }
  static Status ResourceInUse(std::string m) { return {StatusCode::kResourceInUse, std::move(m)}; }
  static Status LimitExceeded(std::string m) { return {StatusCode::kLimitExceeded, std::move(m)}; }
  static Status NotFound(std::string m) { return {StatusCode::kNotFound, std::move(m)}; }
  static Status AlreadyExists(std::string m) { return {StatusCode::kAlreadyExists, std::move(m)}; }
  static Status Corruption(std::string m) { return {StatusCode::kCorruption, std::move(m)}; }
  static Status IOError(std::string m) { return {StatusCode::kIOError, std::move(m)}; }
  static Status ResourceExhausted(std::string m) { return {StatusCode::kResourceExhausted, std::move(m)}; }
  static Status Unavailable(std::string m) { return {StatusCode::kUnavailable, std::move(m)}; }
  static Status FailedPrecondition(std::string m) { return {StatusCode::kFailedPrecondition, std::move(m)}; }
  static Status Internal(std::string m) { return {StatusCode::kInternal, std::move(m)}; }
  // An IOError (ResourceExhausted for ENOSPC and EDQUOT) whose message ends with strerror(err).
  static Status FromErrno(const std::string& context, int err);

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }
  std::string ToString() const;

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

// A value or the Status explaining why there is none.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}           // NOLINT: implicit by design
  Result(Status status) : status_(std::move(status)) {}   // NOLINT: must not be Ok
  bool ok() const { return value_.has_value(); }
  const Status& status() const { return status_; }
  T& value() & { return *value_; }
  const T& value() const& { return *value_; }
  T&& value() && { return std::move(*value_); }
  T* operator->() { return &*value_; }
  const T* operator->() const { return &*value_; }
  T& operator*() { return *value_; }
  const T& operator*() const { return *value_; }

 private:
  std::optional<T> value_;
  Status status_;
};

}  // namespace hydrant

#define HYDRANT_RETURN_IF_ERROR(expr)          \
  do {                                         \
    ::hydrant::Status _st = (expr);            \
    if (!_st.ok()) return _st;                 \
  } while (0)
