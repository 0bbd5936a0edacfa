#include "core/atomic_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>
#include <system_error>

namespace medic {
namespace {

/// Classifies errno for the caller: a full disk is called out because the daemon reacts to it
/// (refuses recreate/rollback/deploy until space returns) and the operator must free space.
Error ioError(int err, std::string_view what, const std::filesystem::path& path) {
  std::string message;
  if (err == ENOSPC || err == EDQUOT) {
    message = "disk full: ";
  }
  message += std::string(what) + " " + path.string() + ": " + std::strerror(err);
  if (err == ENOSPC || err == EDQUOT) {
    message += "; free space on that filesystem and retry";
  } else if (err == EACCES || err == EPERM || err == EROFS) {
    message +=
        "; check the directory's owner and permissions (or run medic with a writable "
        "--state-dir)";
  }
  return Error::make(ErrorKind::kIo, std::move(message));
}

/// Closes a descriptor once, whatever path the function leaves by.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  /// Closes now and reports close's error (NFS and some filesystems report write errors here).
  int close() {
    int rc = ::close(fd_);
    fd_ = -1;
    return rc;
  }

 private:
  int fd_;
};

}  // namespace

Status writeFileAtomic(const std::filesystem::path& path, std::string_view content, mode_t mode) {
  if (path.empty() || !path.has_filename()) {
    return Error::make(ErrorKind::kBadRequest,
                       "cannot write file '" + path.string() + "': the path names no file");
  }
  std::filesystem::path dir = path.parent_path();
  if (dir.empty()) dir = ".";
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return ioError(ec.value(), "cannot create directory for", path);

  // The temp file lives in the destination directory so rename() stays on one filesystem and
  // is atomic. mkostemp picks an unused name; a leading dot keeps it out of casual listings.
  std::string temp = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
  int fd = ::mkostemp(temp.data(), O_CLOEXEC);  // not inherited by probe subprocesses
  if (fd < 0) return ioError(errno, "cannot create temp file for", path);
  FdGuard guard(fd);
  bool renamed = false;
  struct TempCleanup {
    const std::string& temp;
    const bool& renamed;
    ~TempCleanup() {
      if (!renamed) ::unlink(temp.c_str());
    }
  } cleanup{temp, renamed};

  if (::fchmod(fd, mode) != 0) return ioError(errno, "cannot set mode on temp file for", path);
  const char* data = content.data();
  size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ioError(errno, "cannot write", path);
    }
    data += n;
    left -= static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return ioError(errno, "cannot fsync", path);
  if (guard.close() != 0) return ioError(errno, "cannot close", path);
  if (::rename(temp.c_str(), path.c_str()) != 0) return ioError(errno, "cannot rename into", path);
  renamed = true;

  // The rename is only durable once the directory entry is on disk.
  int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd < 0) return ioError(errno, "cannot open directory to fsync for", path);
  FdGuard dir_guard(dir_fd);
  if (::fsync(dir_fd) != 0) return ioError(errno, "cannot fsync directory of", path);
  return okStatus();
}

}  // namespace medic
