#pragma once
/// Secrets medic must keep to do its job — a protected container's PASSWORD/TOKEN/... environment
/// values (to recreate it after removal) and the password in a probe URL (to keep probing after a
/// restart) — never reach the store file in clear: they are sealed with AES-256-GCM under a key
/// that lives beside the store in the state dir (`secret.key`, mode 0600, made at first start).
/// A copy of medic.db alone reveals nothing; the key file is as sensitive as the API token.
///
/// A sealed value reads "medic-sealed:v1:<base64url(nonce | ciphertext | tag)>". Sealing is
/// deterministic (the nonce is an HMAC of the value), so an unchanged spec seals to the same text.

#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/result.h"

namespace medic::evidence {

class SecretBox {
 public:
  /// Reads the 32-byte key from `key_file`, or creates it (0600) when absent.
  static Result<SecretBox> loadOrCreate(const std::filesystem::path& key_file);
  /// A box with a fixed 32-byte key (tests).
  static SecretBox withKeyForTest(std::string key);

  static bool isSealed(std::string_view value);
  std::string seal(std::string_view plain) const;
  /// kBadRequest when `sealed` is not a value this key sealed (tampered, or another key).
  Result<std::string> open(std::string_view sealed) const;

  /// "NAME=value" entries: values of secret-looking names (evidence::isSecretName) are sealed, and
  /// so is a whole entry that redactText would change (a token-shaped value under a plain name).
  std::vector<std::string> sealEnv(const std::vector<std::string>& env) const;
  /// Opens what sealEnv sealed; other entries pass through.
  Result<std::vector<std::string>> openEnv(const std::vector<std::string>& env) const;

  /// A container's create body, as a snapshot keeps it: everything evidence::redactJson would hide
  /// is sealed instead — string values under secret-named keys, secret env entries, and any string
  /// redactText would change (a token in Cmd, Labels, Env under a plain name, a URL password) — so
  /// the store holds nothing a redacted view would not show, yet the body opens back exactly.
  nlohmann::json sealSpec(const nlohmann::json& body) const;
  /// Opens every sealed string of a body sealSpec made; kBadRequest naming the place when a value
  /// does not open with this key.
  Result<nlohmann::json> openSpec(const nlohmann::json& body) const;

  /// scheme://user:password@host/... -> scheme://user:<sealed>@host/...; other URLs unchanged.
  std::string sealUrl(const std::string& url) const;
  Result<std::string> openUrl(const std::string& url) const;

 private:
  explicit SecretBox(std::string key) : key_(std::move(key)) {}
  std::string key_;
};

}  // namespace medic::evidence
