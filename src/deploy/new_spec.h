#pragma once
/// The create body of a deploy's new container: the service's snapshot, on another image. Pure.

#include <nlohmann/json.hpp>
#include <string>

namespace medic::deploy {

/// `snapshot_body` is a POST /containers/create body (docker::specFromInspect). Returns it with
/// Image = `image` and the snapshot image label updated. Env entries, Cmd and Entrypoint that
/// only repeated the OLD image's defaults (`old_image_config` = the old image's .Config) are
/// dropped, so the new image's own defaults apply (an upgrade that changes an ENV or its CMD
/// would otherwise keep running with the old values). What the user set explicitly is kept.
nlohmann::json specForImage(const nlohmann::json& snapshot_body,
                            const nlohmann::json& old_image_config, const std::string& image);

/// For start-first: true when the body binds a fixed host port (a second copy could not start
/// beside the first) or uses the host's network; `why` says which.
bool bindsFixedHostPort(const nlohmann::json& body, std::string& why);

}  // namespace medic::deploy
