#pragma once
/// Whole-file replacement that a crash cannot tear: readers see either the old content or the new
/// content, never a mix, and once writeFileAtomic returns Ok the new content survives power loss.
/// Used for the state dir's recovery-state.json, alerts/critical-failures.json and the API token.

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "core/result.h"

namespace medic {

/// Replaces `path` with `content`: creates missing parent directories, writes a temp file in the
/// same directory, fsyncs it, renames it over `path`, then fsyncs the directory so the rename is
/// durable. The file gets exactly `mode` (the umask does not apply), so 0600 keeps a token private
/// from the first byte written. On failure the old file is untouched, no temp file is left behind,
/// and the error is kIo naming the path ("disk full: ..." when the filesystem has no space left).
/// Blocking; call it off the event loop.
Status writeFileAtomic(const std::filesystem::path& path, std::string_view content,
                       mode_t mode = 0644);

}  // namespace medic
