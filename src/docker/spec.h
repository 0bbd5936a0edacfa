#pragma once
/// Spec snapshots: the create body that brings a container back after it was removed.

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "docker/types.h"

namespace medic::docker {

/// Label added to every snapshot: the image as the user named it (.Config.Image), because the
/// body itself pins the exact image by ID so that the same bits come back.
inline constexpr const char* kSnapshotImageLabel = "medic.snapshot.image";

/// Builds the POST /containers/create body (and name) that recreates the container described by
/// a GET /containers/{id}/json document:
/// - Config: Image = the image ID (sha256:...), Cmd, Entrypoint, Env, Labels (+ the snapshot
/// label),
///   ExposedPorts, Healthcheck, WorkingDir, User, StopSignal, StopTimeout, Tty, OpenStdin,
///   AttachStdin/StdinOnce, Domainname, and Hostname only when the user chose it (not the
///   engine's 12-character id default) and the network mode allows it (not host/container:).
/// - HostConfig: copied from the inspect (create accepts it): binds, mounts, port bindings,
///   network mode, restart policy, resources; legacy links are rewritten from the inspect form
///   "/db:/web/alias" to the create form "db:alias".
/// - NetworkingConfig.EndpointsConfig: one entry per network in .NetworkSettings.Networks with
///   its user-given settings (aliases minus those the engine adds itself before API 1.45, the
///   short id and the hostname; links, static IPAM config, driver options, gateway priority),
///   none for host/none/container: modes.
/// - A MAC address the user chose: inspects up to API 1.51 report it as .Config.MacAddress (the
///   endpoint's MacAddress is the one in use, often generated, and is never pinned); the snapshot
///   keeps it on the main network's endpoint, where API 1.44+ wants it. API 1.52 no longer reports
///   it, so a snapshot taken at 1.52 cannot keep a chosen MAC.
/// The body is version-neutral: createRequestFor() fits it to the API version spoken at create.
/// Tolerant of missing fields; never throws.
ContainerSpec specFromInspect(const nlohmann::json& inspect);

/// A snapshot body fitted to one API version (see docs/operations.md, "Docker API versions").
struct CreateRequest {
  nlohmann::json body;  ///< for POST /containers/create
  /// Endpoints to connect right after create (POST /networks/{name}/connect with
  /// {"Container": id, "EndpointConfig": config}): engines before 1.44 take one at create.
  std::vector<std::pair<std::string, nlohmann::json>> connect_after;
  /// What this version cannot carry and was left out, e.g. "Healthcheck.StartInterval (needs
  /// API 1.44)"; the caller logs it, so nothing is dropped silently.
  std::vector<std::string> dropped;
};

/// Fits a create body (from specFromInspect, or stored by an older medic) to `api_version`:
/// - before 1.44: one endpoint at create (the network of HostConfig.NetworkMode, "default" being
///   "bridge"), the others in connect_after; a chosen MAC goes in the container-wide
///   .MacAddress (the only place these versions read it); Healthcheck.StartInterval is dropped.
/// - 1.44 and later: every endpoint at create; a container-wide .MacAddress (1.52 refuses it)
///   moves to the main network's endpoint.
/// - before 1.48: endpoint GwPriority is dropped; before 1.43: HostConfig.Annotations.
/// - 1.42 and later: HostConfig.KernelMemory is dropped, 1.52 and later KernelMemoryTCP (the
///   engine ignores them there).
/// Fields only a newer version can honour and whose loss would change what the container sees
/// (VolumeOptions.Subpath, image mounts, BindOptions.ReadOnlyForceRecursive) are kept: the
/// engine refuses them with its own message rather than mounting something else.
CreateRequest createRequestFor(const nlohmann::json& body, std::string_view api_version);

}  // namespace medic::docker
