#include "evidence/secret_box.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <memory>
#include <string>

#include "core/atomic_file.h"
#include "evidence/redact.h"

namespace medic::evidence {
namespace {

constexpr std::string_view kPrefix = "medic-sealed:v1:";
constexpr size_t kKeyBytes = 32;
constexpr size_t kNonceBytes = 12;
constexpr size_t kTagBytes = 16;

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string base64url(std::string_view in) {
  std::string out;
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6) out.push_back(kB64[(v >> s) & 63]);
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kB64[(v >> 18) & 63]);
    out.push_back(kB64[(v >> 12) & 63]);
    if (i + 1 < in.size()) out.push_back(kB64[(v >> 6) & 63]);
  }
  return out;
}

bool unbase64url(std::string_view in, std::string& out) {
  out.clear();
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    const char* p = std::char_traits<char>::find(kB64, 64, c);
    if (p == nullptr) return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return true;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

/// Where the URL's password sits: [begin, end) after "user:" and before "@", or npos.
std::pair<size_t, size_t> urlPassword(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return {std::string::npos, 0};
  const size_t authority = scheme + 3;
  const size_t end = url.find_first_of("/?#", authority);
  const size_t at = url.rfind('@', end == std::string::npos ? url.size() : end);
  if (at == std::string::npos || at < authority) return {std::string::npos, 0};
  const size_t colon = url.find(':', authority);
  if (colon == std::string::npos || colon > at) return {std::string::npos, 0};
  return {colon + 1, at};
}

}  // namespace

Result<SecretBox> SecretBox::loadOrCreate(const std::filesystem::path& key_file) {
  // A key that is there (a file, or a link to one) but cannot be read is never replaced: a new
  // key would make every sealed secret in the store unreadable, for good.
  std::error_code ec;
  const auto there = std::filesystem::symlink_status(key_file, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return Error::make(ErrorKind::kIo, "cannot look at " + key_file.string() + ": " + ec.message());
  }
  if (std::filesystem::exists(there)) {
    std::ifstream in(key_file, std::ios::binary);
    if (!in) {
      const int err = errno;
      return Error::make(
          ErrorKind::kIo,
          key_file.string() + " exists but cannot be read (" + std::strerror(err) +
              "); medic stops rather than make a new key, which would leave every sealed secret "
              "in the store unreadable. Fix its permissions or the link it follows, or remove it "
              "to start with a new key (sealed specs are lost then)");
    }
    std::string key((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (key.size() == kKeyBytes) return SecretBox(std::move(key));
    return Error::make(ErrorKind::kIo, key_file.string() + " is not a 32-byte key (" +
                                           std::to_string(key.size()) +
                                           " bytes); restore it from a backup — without it "
                                           "sealed secrets in the store cannot be opened");
  }
  std::string key(kKeyBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key.data()), static_cast<int>(kKeyBytes)) != 1) {
    return Error::make(ErrorKind::kInternal, "cannot generate the secret key: no randomness");
  }
  if (auto st = writeFileAtomic(key_file.string(), key, 0600); !st) return st.error();
  return SecretBox(std::move(key));
}

SecretBox SecretBox::withKeyForTest(std::string key) {
  key.resize(kKeyBytes, '\0');
  return SecretBox(std::move(key));
}

bool SecretBox::isSealed(std::string_view value) {
  return value.rfind(kPrefix, 0) == 0;
}

std::string SecretBox::seal(std::string_view plain) const {
  // A synthetic nonce (HMAC of the value): sealing the same value again gives the same text, so an
  // unchanged snapshot stays equal to the stored one; only equality is revealed.
  unsigned char mac[EVP_MAX_MD_SIZE];
  unsigned int mac_len = 0;
  const std::string input = "medic-nonce:" + std::string(plain);
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
       reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &mac_len);
  unsigned char nonce[kNonceBytes];
  std::copy(mac, mac + kNonceBytes, nonce);
  std::string out(reinterpret_cast<char*>(nonce), kNonceBytes);
  out.resize(kNonceBytes + plain.size() + kTagBytes);
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  auto* ct = reinterpret_cast<unsigned char*>(out.data()) + kNonceBytes;
  EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key_.data()), nonce);
  EVP_EncryptUpdate(ctx.get(), ct, &len, reinterpret_cast<const unsigned char*>(plain.data()),
                    static_cast<int>(plain.size()));
  EVP_EncryptFinal_ex(ctx.get(), ct + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                      ct + plain.size());
  return std::string(kPrefix) + base64url(out);
}

Result<std::string> SecretBox::open(std::string_view sealed) const {
  std::string raw;
  if (!isSealed(sealed) || !unbase64url(sealed.substr(kPrefix.size()), raw) ||
      raw.size() < kNonceBytes + kTagBytes) {
    return Error::make(ErrorKind::kBadRequest, "not a sealed secret");
  }
  const size_t n = raw.size() - kNonceBytes - kTagBytes;
  std::string plain(n, '\0');
  CipherCtx ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  int len = 0;
  auto* bytes = reinterpret_cast<unsigned char*>(raw.data());
  EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key_.data()), bytes);
  EVP_DecryptUpdate(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()), &len,
                    bytes + kNonceBytes, static_cast<int>(n));
  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                      bytes + kNonceBytes + n);
  if (EVP_DecryptFinal_ex(ctx.get(), reinterpret_cast<unsigned char*>(plain.data()) + len, &len) !=
      1) {
    return Error::make(ErrorKind::kBadRequest,
                       "a sealed secret does not open with this state dir's secret.key (the key "
                       "was replaced, or the value was altered)");
  }
  return plain;
}

namespace {

/// The position after "NAME=" when `entry` is an env entry whose name is secret (the rule
/// redactJson applies to strings in arrays), else npos.
size_t secretEnvValueAt(std::string_view entry) {
  const auto eq = entry.find('=');
  if (eq == std::string_view::npos || eq == 0 || entry.find(' ') < eq) return std::string_view::npos;
  return isSecretName(entry.substr(0, eq)) ? eq + 1 : std::string_view::npos;
}

}  // namespace

std::vector<std::string> SecretBox::sealEnv(const std::vector<std::string>& env) const {
  auto sealed = sealSpec(nlohmann::json(env));
  return sealed.get<std::vector<std::string>>();
}

nlohmann::json SecretBox::sealSpec(const nlohmann::json& body) const {
  auto sealString = [&](const std::string& s) -> nlohmann::json {
    if (isSealed(s) || redactText(s) == s) return s;
    return seal(s);
  };
  if (body.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = body.begin(); it != body.end(); ++it) {
      const auto& v = it.value();
      if (isSecretName(it.key()) && v.is_string() && !v.get<std::string>().empty() &&
          !isSealed(v.get<std::string>())) {
        out[it.key()] = seal(v.get<std::string>());
      } else {
        out[it.key()] = sealSpec(v);
      }
    }
    return out;
  }
  if (body.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : body) {
      if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        const auto at = secretEnvValueAt(s);
        if (at != std::string::npos) {
          const std::string_view value = std::string_view(s).substr(at);
          out.push_back(value.empty() || isSealed(value) ? s : s.substr(0, at) + seal(value));
        } else {
          out.push_back(sealString(s));
        }
        continue;
      }
      out.push_back(sealSpec(v));
    }
    return out;
  }
  if (body.is_string()) return sealString(body.get<std::string>());
  return body;
}

Result<nlohmann::json> SecretBox::openSpec(const nlohmann::json& body) const {
  if (body.is_object()) {
    nlohmann::json out = nlohmann::json::object();
    for (auto it = body.begin(); it != body.end(); ++it) {
      auto v = openSpec(it.value());
      if (!v) return Error::make(v.error().kind, it.key() + ": " + v.error().message);
      out[it.key()] = std::move(*v);
    }
    return out;
  }
  if (body.is_array()) {
    nlohmann::json out = nlohmann::json::array();
    for (const auto& v : body) {
      if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        const auto eq = s.find('=');
        if (!isSealed(s) && eq != std::string::npos &&
            isSealed(std::string_view(s).substr(eq + 1))) {
          auto plain = open(std::string_view(s).substr(eq + 1));
          if (!plain) {
            return Error::make(plain.error().kind, "environment variable " + s.substr(0, eq) +
                                                       ": " + plain.error().message);
          }
          out.push_back(s.substr(0, eq + 1) + *plain);
          continue;
        }
      }
      auto opened = openSpec(v);
      if (!opened) return opened;
      out.push_back(std::move(*opened));
    }
    return out;
  }
  if (body.is_string() && isSealed(body.get_ref<const std::string&>())) {
    auto plain = open(body.get_ref<const std::string&>());
    if (!plain) return plain.error();
    return nlohmann::json(*plain);
  }
  return body;
}

Result<std::vector<std::string>> SecretBox::openEnv(const std::vector<std::string>& env) const {
  auto opened = openSpec(nlohmann::json(env));
  if (!opened) return opened.error();
  return opened->get<std::vector<std::string>>();
}

std::string SecretBox::sealUrl(const std::string& url) const {
  const auto [begin, end] = urlPassword(url);
  if (begin == std::string::npos || end <= begin) return url;
  const std::string password = url.substr(begin, end - begin);
  if (isSealed(password)) return url;
  return url.substr(0, begin) + seal(password) + url.substr(end);
}

Result<std::string> SecretBox::openUrl(const std::string& url) const {
  const auto [begin, end] = urlPassword(url);
  if (begin == std::string::npos || end <= begin) return url;
  const std::string password = url.substr(begin, end - begin);
  if (!isSealed(password)) return url;
  auto plain = open(password);
  if (!plain) return plain.error();
  return url.substr(0, begin) + *plain + url.substr(end);
}

}  // namespace medic::evidence
