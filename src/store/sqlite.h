#pragma once
/// Thin RAII layer over the SQLite C API, private to the store: one connection, a cache of
/// prepared statements, bound parameters only, and SQLite result codes turned into classified
/// Errors. Not thread-safe (see Store).

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/result.h"

struct sqlite3;
struct sqlite3_stmt;

namespace medic::store::sqlite {

class Connection;

/// A cached prepared statement in use: bind, step, read columns. Resets and clears its bindings
/// when it goes out of scope, so the cache can hand it out again.
class Statement {
 public:
  Statement(Connection& conn, sqlite3_stmt* stmt, std::string_view what);
  ~Statement();
  Statement(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  Statement& operator=(Statement&&) = delete;

  // Parameters are 1-based, as in SQL (?1, ?2, ...). A bind failure is reported by step().
  Statement& bind(int index, int64_t value);
  Statement& bind(int index, int value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, bool value) { return bind(index, static_cast<int64_t>(value)); }
  Statement& bind(int index, double value);
  Statement& bind(int index, std::string_view value);
  Statement& bind(int index, const std::string& value) {
    return bind(index, std::string_view(value));
  }
  Statement& bind(int index, const char* value) { return bind(index, std::string_view(value)); }
  Statement& bind(int index, std::nullopt_t);
  /// Binds bytes as a BLOB (binary attachments such as a screenshot's PNG).
  Statement& bindBlob(int index, std::string_view bytes);
  template <class T>
  Statement& bind(int index, const std::optional<T>& value) {
    return value ? bind(index, *value) : bind(index, std::nullopt);
  }
  /// Binds arguments to ?1, ?2, ... in order.
  template <class... Args>
  Statement& bindAll(const Args&... args) {
    int index = 0;
    (bind(++index, args), ...);
    return *this;
  }

  /// Advances: true when a row is available, false when done.
  Result<bool> step();
  /// Steps to completion (for INSERT/UPDATE/DELETE).
  Status run();

  // Columns are 0-based, as in the SQLite API.
  bool isNull(int col) const;
  int64_t int64(int col) const;
  double real(int col) const;
  std::string text(int col) const;
  /// A BLOB column's bytes (empty for NULL).
  std::string blob(int col) const;
  std::optional<int64_t> optionalInt64(int col) const;
  std::optional<double> optionalReal(int col) const;

 private:
  Connection* conn_;
  sqlite3_stmt* stmt_;
  std::string what_;
  int bind_rc_ = 0;  ///< first bind error, reported by step()
};

class Connection {
 public:
  /// Opens (creating if absent) the database file; no statement has run yet, so a file that is
  /// not a database is still untouched when this returns.
  static Result<std::unique_ptr<Connection>> open(const std::filesystem::path& path);
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  /// A cached prepared statement for `sql`; `what` names the operation in error messages
  /// ("saving snapshot for webui").
  Result<Statement> prepare(std::string_view sql, std::string_view what);
  /// Runs SQL text without parameters (schema DDL, transaction control).
  Status exec(std::string_view sql, std::string_view what);

  int64_t lastInsertRowid() const;
  int64_t changes() const;
  bool inTransaction() const;
  /// Classifies an SQLite result code into an Error naming the operation and the file.
  Error error(int rc, std::string_view what) const;

  const std::filesystem::path& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  Connection(sqlite3* db, std::filesystem::path path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::filesystem::path path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

/// BEGIN IMMEDIATE (takes the write lock up front, so two writers never deadlock on upgrade);
/// rolls back on scope exit unless commit() succeeded. Declare statements after the transaction
/// so they are reset before the rollback runs.
class Transaction {
 public:
  static Result<Transaction> begin(Connection& conn, std::string_view what);
  ~Transaction();
  Transaction(Transaction&& other) noexcept;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  Transaction& operator=(Transaction&&) = delete;

  /// Returns only once the transaction is durable (synchronous=FULL).
  Status commit();

 private:
  Transaction(Connection& conn, std::string what) : conn_(&conn), what_(std::move(what)) {}

  Connection* conn_;
  std::string what_;
  bool done_ = false;
};

}  // namespace medic::store::sqlite
