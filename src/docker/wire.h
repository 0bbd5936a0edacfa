#pragma once
/// Pure helpers for talking HTTP to the Docker engine: addresses, query encoding, API version
/// arithmetic and the exec stream framing. No I/O here, so all of it is unit-tested.

#include <cstddef>
#include <cstdint>
#include <map>
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

/// The highest API version this client speaks and the lowest it accepts.
inline constexpr std::string_view kMaxApiVersion = "1.43";
inline constexpr std::string_view kMinApiVersion = "1.41";

/// min(engine_max, kMaxApiVersion); kEngine error when that is below kMinApiVersion.
Result<std::string> negotiateApiVersion(std::string_view engine_max);

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
