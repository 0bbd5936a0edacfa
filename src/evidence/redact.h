#pragma once
/// Secrets never leave medic: every observation passes through these functions before it is stored,
/// logged, served or published (DESIGN §4 Security rules).

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace medic::evidence {

inline constexpr std::string_view kRedacted = "[REDACTED]";

/// True for names that hold secrets: *PASSWORD*, *PASSWD*, *TOKEN*, *SECRET*, *KEY*, *CREDENTIAL*,
/// *AUTH* (case-insensitive), and the headers Authorization, Cookie, Set-Cookie, Proxy-Authorization.
bool isSecretName(std::string_view name);

/// "NAME=value" environment entries: the value is replaced when the name is secret.
std::vector<std::string> redactEnv(const std::vector<std::string>& env);

/// Free text: passwords in URLs (scheme://user:pass@host), bearer/basic credentials, JWTs, and long
/// token-shaped runs (>= 32 chars of base64/hex alphabet with both letters and digits) are replaced.
std::string redactText(std::string_view text);

/// Walks a JSON document: values under secret-named keys are replaced, "NAME=value" strings in arrays
/// are treated as env entries, every other string goes through redactText.
nlohmann::json redactJson(const nlohmann::json& doc);

}  // namespace medic::evidence
