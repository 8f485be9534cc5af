// StoreError names and their Status codes.
#include "store/store_error.h"

#include <iterator>
#include <string_view>

namespace hydrant::store {
namespace {

struct ErrorInfo {
  StoreError error;
  const char* name;
  StatusCode code;
};

constexpr ErrorInfo kErrors[] = {
    {StoreError::kNoSuchBucket, "NoSuchBucket", StatusCode::kNotFound},
    {StoreError::kNoSuchKey, "NoSuchKey", StatusCode::kNotFound},
    {StoreError::kNoSuchUpload, "NoSuchUpload", StatusCode::kNotFound},
    {StoreError::kBucketAlreadyOwnedByYou, "BucketAlreadyOwnedByYou", StatusCode::kAlreadyExists},
    {StoreError::kBucketNotEmpty, "BucketNotEmpty", StatusCode::kFailedPrecondition},
    {StoreError::kInvalidBucketName, "InvalidBucketName", StatusCode::kValidation},
    {StoreError::kKeyTooLongError, "KeyTooLongError", StatusCode::kValidation},
    {StoreError::kInvalidArgument, "InvalidArgument", StatusCode::kInvalidArgument},
    {StoreError::kInvalidRange, "InvalidRange", StatusCode::kInvalidArgument},
    {StoreError::kInvalidPart, "InvalidPart", StatusCode::kInvalidArgument},
    {StoreError::kInvalidPartOrder, "InvalidPartOrder", StatusCode::kInvalidArgument},
    {StoreError::kEntityTooSmall, "EntityTooSmall", StatusCode::kInvalidArgument},
    {StoreError::kEntityTooLarge, "EntityTooLarge", StatusCode::kInvalidArgument},
    {StoreError::kPreconditionFailed, "PreconditionFailed", StatusCode::kFailedPrecondition},
    {StoreError::kKmsNotFound, "KMS.NotFoundException", StatusCode::kInvalidArgument},
};

const ErrorInfo& InfoOf(StoreError error) {
  for (const ErrorInfo& info : kErrors) {
    if (info.error == error) return info;
  }
  return kErrors[0];  // unreachable: every enumerator is in the table
}

}  // namespace

const char* ErrorName(StoreError error) { return InfoOf(error).name; }

Status MakeError(StoreError error, const std::string& message) {
  const ErrorInfo& info = InfoOf(error);
  return Status(info.code, std::string(info.name) + ": " + message);
}

std::optional<StoreError> ErrorOf(const Status& status) {
  std::string_view message = status.message();
  for (const ErrorInfo& info : kErrors) {
    std::string_view name = info.name;
    if (status.code() == info.code && message.size() > name.size() + 1 &&
        message.substr(0, name.size()) == name && message.substr(name.size(), 2) == ": ") {
      return info.error;
    }
  }
  return std::nullopt;
}

std::string ErrorMessage(const Status& status) {
  if (!ErrorOf(status)) return status.message();
  return status.message().substr(status.message().find(": ") + 2);
}

}  // namespace hydrant::store
