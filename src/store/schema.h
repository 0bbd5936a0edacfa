#pragma once
/// The store's schema as an ordered list of migration steps. The version reached is kept in the
/// `meta` table (key 'schema_version'); each step runs in its own transaction together with the
/// version bump, so a crash mid-migration leaves the previous version intact.

#include <span>
#include <string_view>

namespace medic::store {

struct Migration {
  int version;            ///< 1, 2, 3, ... with no gaps
  std::string_view name;  ///< for error messages
  std::string_view sql;   ///< DDL; may hold several statements
};

/// Every step medic knows, oldest first. Append only: a released step never changes.
std::span<const Migration> builtinMigrations();

}  // namespace medic::store
