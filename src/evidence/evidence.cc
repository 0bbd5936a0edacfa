#include "evidence/evidence.h"

#include <openssl/evp.h>

#include "evidence/redact.h"

namespace medic::evidence {
namespace {

std::string base36(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdefghijklmnopqrstuvwxyz";
  std::string out;
  do {
    out.insert(out.begin(), kDigits[v % 36]);
    v /= 36;
  } while (v != 0);
  return out;
}

}  // namespace

std::string sha256Hex(std::string_view bytes) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(bytes.data(), bytes.size(), digest, &len, EVP_sha256(), nullptr);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(static_cast<size_t>(len) * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out.push_back(kHex[digest[i] >> 4]);
    out.push_back(kHex[digest[i] & 0xf]);
  }
  return out;
}

Evidence makeEvidence(std::string kind, std::string service, const nlohmann::json& data,
                      WallTime time) {
  Evidence e;
  e.kind = std::move(kind);
  e.service = std::move(service);
  e.time = time;
  e.data = redactJson(data);
  nlohmann::json canonical = {{"kind", e.kind},
                              {"service", e.service},
                              {"time_ms", toUnixMillis(time)},
                              {"data", e.data}};
  e.hash = sha256Hex(canonical.dump());
  e.id = "ev-" + base36(static_cast<uint64_t>(toUnixMillis(time))) + "-" + e.hash.substr(0, 8);
  return e;
}

nlohmann::json Evidence::toJson() const {
  return {{"id", id},     {"service", service},           {"kind", kind},
          {"time", formatWallTime(time)}, {"time_ms", toUnixMillis(time)},
          {"hash", hash}, {"data", data}};
}

Evidence Evidence::fromJson(const nlohmann::json& j) {
  Evidence e;
  e.id = j.value("id", "");
  e.service = j.value("service", "");
  e.kind = j.value("kind", "");
  e.time = WallTime(Millis(j.value("time_ms", int64_t{0})));
  e.hash = j.value("hash", "");
  e.data = j.value("data", nlohmann::json::object());
  return e;
}

}  // namespace medic::evidence
