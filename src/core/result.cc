#include "core/result.h"

namespace medic {

const char* toString(ErrorKind kind) {
  switch (kind) {
    case ErrorKind::kBadRequest: return "bad request";
    case ErrorKind::kNotFound: return "not found";
    case ErrorKind::kConflict: return "conflict";
    case ErrorKind::kEngine: return "engine error";
    case ErrorKind::kUnreachable: return "unreachable";
    case ErrorKind::kTimeout: return "timeout";
    case ErrorKind::kIo: return "i/o error";
    case ErrorKind::kConfig: return "configuration error";
    case ErrorKind::kInternal: return "internal error";
  }
  return "error";
}

std::string Error::describe() const { return std::string(toString(kind)) + ": " + message; }

}  // namespace medic
