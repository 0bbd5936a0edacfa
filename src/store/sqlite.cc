#include "store/sqlite.h"

#include <sqlite3.h>

#include <utility>

namespace medic::store::sqlite {

// ---- Statement ----

Statement::Statement(Connection& conn, sqlite3_stmt* stmt, std::string_view what)
    : conn_(&conn), stmt_(stmt), what_(what) {}

Statement::Statement(Statement&& other) noexcept
    : conn_(other.conn_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      what_(std::move(other.what_)),
      bind_rc_(other.bind_rc_) {}

Statement::~Statement() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

Statement& Statement::bind(int index, int64_t value) {
  int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int index, double value) {
  int rc = sqlite3_bind_double(stmt_, index, value);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::string_view value) {
  // SQLITE_TRANSIENT: SQLite copies the bytes, so temporaries are safe to pass.
  int rc =
      sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bindBlob(int index, std::string_view bytes) {
  int rc = sqlite3_bind_blob64(stmt_, index, bytes.data(), bytes.size(), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Statement& Statement::bind(int index, std::nullopt_t) {
  int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK && bind_rc_ == SQLITE_OK) bind_rc_ = rc;
  return *this;
}

Result<bool> Statement::step() {
  if (bind_rc_ != SQLITE_OK) return conn_->error(bind_rc_, what_);
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return conn_->error(rc, what_);
}

Status Statement::run() {
  while (true) {
    auto row = step();
    if (!row) return row.error();
    if (!*row) return okStatus();
  }
}

bool Statement::isNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}
int64_t Statement::int64(int col) const {
  return sqlite3_column_int64(stmt_, col);
}
double Statement::real(int col) const {
  return sqlite3_column_double(stmt_, col);
}

std::string Statement::text(int col) const {
  const auto* data = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, col));
  if (data == nullptr) return {};
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::string Statement::blob(int col) const {
  const auto* data = static_cast<const char*>(sqlite3_column_blob(stmt_, col));
  if (data == nullptr) return {};
  return std::string(data, static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<int64_t> Statement::optionalInt64(int col) const {
  if (isNull(col)) return std::nullopt;
  return int64(col);
}

std::optional<double> Statement::optionalReal(int col) const {
  if (isNull(col)) return std::nullopt;
  return real(col);
}

// ---- Connection ----

Result<std::unique_ptr<Connection>> Connection::open(const std::filesystem::path& path) {
  sqlite3* db = nullptr;
  // NOMUTEX: the Store contract is one thread at a time, so SQLite's own mutexes buy nothing.
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string detail = db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
    sqlite3_close_v2(db);  // a handle is allocated even when open fails
    return Error::make(ErrorKind::kIo,
                       "cannot open store " + path.string() + ": " + detail +
                           "; check that the state dir exists and is writable by medic's user");
  }
  sqlite3_extended_result_codes(db, 1);
  return std::unique_ptr<Connection>(new Connection(db, path));
}

Connection::~Connection() {
  for (auto& [sql, stmt] : cache_) sqlite3_finalize(stmt);
  // The last connection to close checkpoints the WAL into the main file.
  sqlite3_close_v2(db_);
}

Result<Statement> Connection::prepare(std::string_view sql, std::string_view what) {
  auto it = cache_.find(std::string(sql));
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return error(rc, what);
    }
    it = cache_.emplace(std::string(sql), stmt).first;
  }
  return Statement(*this, it->second, what);
}

Status Connection::exec(std::string_view sql, std::string_view what) {
  std::string text(sql);  // sqlite3_exec wants a NUL-terminated string
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return error(rc, what);
  return okStatus();
}

int64_t Connection::lastInsertRowid() const {
  return sqlite3_last_insert_rowid(db_);
}
int64_t Connection::changes() const {
  return sqlite3_changes64(db_);
}
bool Connection::inTransaction() const {
  return sqlite3_get_autocommit(db_) == 0;
}

Error Connection::error(int rc, std::string_view what) const {
  std::string where = std::string(what) + " in " + path_.string();
  // sqlite3_errmsg describes the most recent failure on this connection; fall back to the
  // generic text for the code when they disagree (e.g. a bind error).
  std::string detail =
      sqlite3_extended_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Error::make(ErrorKind::kIo,
                         "disk full: " + where + ": " + detail +
                             "; nothing was written. Free space on that filesystem; medic keeps "
                             "running and refuses recreate/rollback/deploy until writes succeed");
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Error::make(ErrorKind::kIo,
                         "store is corrupt: " + where + ": " + detail +
                             "; medic will not reset it. Move the file aside (keep it for "
                             "analysis) and restart medic to begin with an empty store");
    case SQLITE_CONSTRAINT:
      return Error::make(ErrorKind::kConflict, where + ": " + detail);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Error::make(ErrorKind::kTimeout,
                         where + ": " + detail +
                             "; another process holds the store's lock (is a second medic "
                             "running on the same state dir?)");
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOLFS:
    case SQLITE_PROTOCOL:
      return Error::make(
          ErrorKind::kIo,
          where + ": " + detail + "; check the state dir's filesystem, free space and permissions");
    case SQLITE_NOMEM:
      return Error::make(ErrorKind::kIo, where + ": out of memory");
    default:
      return Error::make(ErrorKind::kInternal, where + ": " + detail + " (SQLite code " +
                                                   std::to_string(rc) +
                                                   "); this is a bug in medic");
  }
}

// ---- Transaction ----

Result<Transaction> Transaction::begin(Connection& conn, std::string_view what) {
  auto status = conn.exec("BEGIN IMMEDIATE", what);
  if (!status) return status.error();
  return Transaction(conn, std::string(what));
}

Transaction::Transaction(Transaction&& other) noexcept
    : conn_(other.conn_), what_(std::move(other.what_)), done_(std::exchange(other.done_, true)) {}

Transaction::~Transaction() {
  // SQLite may already have rolled back by itself (SQLITE_FULL, SQLITE_IOERR); only roll back
  // what is still open. Nothing after a failed step is ever committed.
  if (!done_ && conn_->inTransaction()) {
    sqlite3_exec(conn_->handle(), "ROLLBACK", nullptr, nullptr, nullptr);
  }
}

Status Transaction::commit() {
  auto status = conn_->exec("COMMIT", what_);
  if (status) done_ = true;
  return status;
}

}  // namespace medic::store::sqlite
