#pragma once
/// Pure helpers for talking HTTP to the Docker engine: addresses, query encoding, API version
/// arithmetic and the exec stream framing. No I/O here, so all of it is unit-tested.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace medic::docker {

/// Where the engine listens.
struct EngineAddress {
  enum class Kind { kUnix, kTcp };
  Kind kind = Kind::kUnix;
  std::string path;   ///< unix socket path (kUnix)
  std::string host;   ///< host name or IP literal (kTcp)
  uint16_t port = 0;  ///< (kTcp)
  /// How messages name the engine: the socket path, or host:port.
  std::string display() const;
};

/// Accepts "unix:///abs/path.sock" and "tcp://host:port" (IPv6 as "tcp://[::1]:2375").
/// kConfig error naming the address otherwise (TLS is not supported yet).
Result<EngineAddress> parseEngineAddress(std::string_view address);

/// Percent-encodes everything but RFC 3986 unreserved characters, for one query component.
std::string urlEncode(std::string_view text);

/// Docker's `filters` query value (before URL encoding): {"label":{"a=b":true},...}. Empty
/// filter lists are left out; an empty map gives "{}".
std::string encodeFilters(const std::map<std::string, std::vector<std::string>>& filters);

/// Compares "major.minor" API versions numerically ("1.9" < "1.41"). Unparseable versions sort
/// before every valid one.
int compareApiVersions(std::string_view a, std::string_view b);

/// The API versions this client speaks: from Docker 20.10 (1.41, Debian 12's engine) to Docker 29
/// (1.52). docs/operations.md ("Docker API versions") lists what differs between them and how
/// medic bridges it.
inline constexpr std::string_view kMinApiVersion = "1.41";
inline constexpr std::string_view kMaxApiVersion = "1.52";

/// Chooses the version to speak, as the docker CLI does: min(engine_max, kMaxApiVersion).
/// `engine_min` (from GET /version's MinAPIVersion; empty when unknown, e.g. from /_ping) only
/// sharpens the refusal. kEngine error, naming the engine's range and ours, when they do not
/// overlap or engine_max is unreadable.
Result<std::string> negotiateApiVersion(std::string_view engine_max,
                                        std::string_view engine_min = {});

/// The refusal message for an engine whose range [engine_min, engine_max] (min may be empty:
/// unknown) has no version in common with ours, saying which side to upgrade.
std::string apiMismatchMessage(std::string_view engine_min, std::string_view engine_max);

/// A fixed version as given in DOCKER_API_VERSION (the docker CLI's override: spoken as is, no
/// negotiation). Surrounding blanks and a leading "v" are ignored, as the CLI does; a blank value
/// gives "" (negotiate). kConfig error
/// naming the variable when it is not "major.minor" or outside kMinApiVersion..kMaxApiVersion.
/// `source` names where the text came from, for the message.
Result<std::string> parseFixedApiVersion(std::string_view text,
                                         std::string_view source = "DOCKER_API_VERSION");

/// The engine's answer to a versioned request it does not serve (HTTP 400):
///   "client version 1.43 is too old. Minimum supported API version is 1.44, please upgrade ..."
///   "client version 1.53 is too new. Maximum supported API version is 1.52"
struct VersionRefusal {
  bool too_old = false;   ///< true: below the engine's minimum; false: above its maximum
  std::string requested;  ///< the version the request used
  std::string supported;  ///< the engine's minimum (too_old) or maximum (too new)
};
/// Recognises such a message (the engine's own text, as engineMessage() returns it).
std::optional<VersionRefusal> parseVersionRefusal(std::string_view message);

/// Splits the multiplexed stdout/stderr stream of a non-TTY exec or attach: frames of an 8-byte
/// header {stream, 0, 0, 0, size (big-endian u32)} followed by size bytes. Input may arrive in
/// arbitrary pieces. Output (stdout and stderr in arrival order) is kept up to `limit` bytes; the
/// rest is counted and dropped.
class ExecStreamDemuxer {
 public:
  explicit ExecStreamDemuxer(std::size_t limit) : limit_(limit) {}
  void feed(std::string_view bytes);
  const std::string& output() const { return output_; }
  std::size_t droppedBytes() const { return dropped_; }
  /// True while a frame is only partly received.
  bool midFrame() const { return header_fill_ != 0 || remaining_ != 0; }

 private:
  void append(std::string_view bytes);

  std::size_t limit_;
  std::string output_;
  std::size_t dropped_ = 0;
  unsigned char header_[8] = {};
  std::size_t header_fill_ = 0;
  std::size_t remaining_ = 0;  ///< payload bytes left in the current frame
};

/// Splits a newline-delimited stream (events) into complete lines. Bounded: a line longer than
/// `max_line` is an error, so a misbehaving peer cannot grow memory without limit.
class LineSplitter {
 public:
  explicit LineSplitter(std::size_t max_line) : max_line_(max_line) {}
  /// Appends bytes and moves every complete line (without '\n', '\r' trimmed) into `lines`.
  /// False when the pending partial line exceeds max_line.
  bool feed(std::string_view bytes, std::vector<std::string>& lines);
  const std::string& pending() const { return pending_; }

 private:
  std::size_t max_line_;
  std::string pending_;
};

}  // namespace medic::docker
