#pragma once
/// Errors as values at every boundary: a Result<T> holds either a T or a classified Error.
/// Nothing that crosses the event loop throws; parse/startup code may throw ConfigError instead.

#include <cassert>
#include <string>
#include <utility>
#include <variant>

namespace medic {

/// What kind of failure, so callers can decide without parsing messages.
enum class ErrorKind {
  kBadRequest,   ///< the caller asked for something invalid (bad argument, bad JSON)
  kNotFound,     ///< the object does not exist (engine 404, unknown service)
  kConflict,     ///< the object is in the wrong state (engine 409, name in use)
  kEngine,       ///< the Docker engine answered with an error (5xx or unexpected)
  kUnreachable,  ///< could not connect (socket absent, refused)
  kTimeout,      ///< the deadline passed
  kIo,           ///< local I/O failed (files, store, disk full)
  kConfig,       ///< configuration is invalid
  kInternal,     ///< a bug in medic
};

const char* toString(ErrorKind kind);

struct Error {
  ErrorKind kind = ErrorKind::kInternal;
  std::string message;  ///< what failed, with what, and what to do
  int status = 0;       ///< HTTP status from the peer when there was one

  static Error make(ErrorKind kind, std::string message, int status = 0) {
    return Error{kind, std::move(message), status};
  }
  /// "timeout: GET /containers/json after 5000 ms"
  std::string describe() const;
};

/// Unit type for Result<Ok> (operations that return nothing on success).
struct Ok {};

template <class T>
class [[nodiscard]] Result {
 public:
  /// An internal error: exists so Result can travel through Asio's completion handlers.
  Result() : v_(Error{ErrorKind::kInternal, "no result was produced", 0}) {}
  Result(T value) : v_(std::move(value)) {}            // NOLINT(google-explicit-constructor)
  Result(Error error) : v_(std::move(error)) {}        // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }

  T& value() & {
    assert(ok());
    return std::get<0>(v_);
  }
  const T& value() const& {
    assert(ok());
    return std::get<0>(v_);
  }
  T&& value() && {
    assert(ok());
    return std::get<0>(std::move(v_));
  }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  const Error& error() const {
    assert(!ok());
    return std::get<1>(v_);
  }

 private:
  std::variant<T, Error> v_;
};

using Status = Result<Ok>;

inline Status okStatus() { return Ok{}; }

}  // namespace medic
