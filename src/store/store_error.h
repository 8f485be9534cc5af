// StoreError: the object store's failures in S3's own vocabulary, carried inside a Status.
#pragma once

#include <optional>
#include <string>

#include "common/status.h"

namespace hydrant::store {

// Each value is an S3 error code; ErrorName() spells it exactly as S3 does ("NoSuchKey").
// The S3 API maps them to HTTP statuses; other callers can rely on the Status code alone.
enum class StoreError {
  kNoSuchBucket,             // StatusCode::kNotFound
  kNoSuchKey,                // kNotFound
  kNoSuchUpload,             // kNotFound
  kBucketAlreadyOwnedByYou,  // kAlreadyExists
  kBucketNotEmpty,           // kFailedPrecondition
  kInvalidBucketName,        // kValidation
  kKeyTooLongError,          // kValidation
  kInvalidArgument,          // kInvalidArgument
  kInvalidRange,             // kInvalidArgument
  kInvalidPart,              // kInvalidArgument
  kInvalidPartOrder,         // kInvalidArgument
  kEntityTooSmall,           // kInvalidArgument
  kEntityTooLarge,           // kInvalidArgument
  kPreconditionFailed,       // kFailedPrecondition
  kKmsNotFound,              // kInvalidArgument: "KMS.NotFoundException", an unknown KMS key
};

const char* ErrorName(StoreError error);

// A Status whose code fits `error` and whose message reads "<ErrorName>: <message>".
Status MakeError(StoreError error, const std::string& message);

// The StoreError a Status made by MakeError carries; nullopt for any other Status (I/O
// errors, corruption, Ok), which the S3 API reports as InternalError.
std::optional<StoreError> ErrorOf(const Status& status);

// The message given to MakeError, without the "<ErrorName>: " prefix.
std::string ErrorMessage(const Status& status);

}  // namespace hydrant::store
