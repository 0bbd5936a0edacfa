#pragma once
/// The web dashboard's files (src/http/web/), compiled into the binary by cmake/EmbedFiles.cmake,
/// and the routes that serve them: GET / (the page) and GET /ui/{file} (its script and style).

#include <cstddef>
#include <string_view>

#include "http/router.h"

namespace medic::http {

struct EmbeddedFile {
  const char* path;           ///< relative to src/http/web, e.g. "app.js"
  const unsigned char* data;  ///< `size` bytes (plus a trailing NUL that is not part of the file)
  size_t size;
};

extern const EmbeddedFile kEmbeddedFiles[];
extern const size_t kEmbeddedFileCount;

/// The embedded file at `path` ("index.html", "app.js", ...), or nullptr.
const EmbeddedFile* findEmbeddedFile(std::string_view path);

/// Content-Type for a file name by its extension (text types in UTF-8).
std::string_view contentTypeFor(std::string_view path);

/// The Content-Security-Policy of the dashboard: everything from this origin only, no inline
/// script or style, no framing, no plugins.
extern const char* const kDashboardCsp;

/// Adds GET / and GET /ui/{file}. Answers carry the CSP, nosniff, no-referrer and an ETag;
/// `If-None-Match` with the current ETag gets 304. `Cache-Control: no-cache`: a browser keeps the
/// file but asks again each time, so a new binary's assets show at once.
void addDashboardRoutes(Router& router);

}  // namespace medic::http
