#pragma once
/// Spec snapshots: the create body that brings a container back after it was removed.

#include <nlohmann/json.hpp>

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
///   its user-given settings (aliases minus the old container's short-id alias, links, static
///   IPAM config, driver options), none for host/none/container: modes. Engines before API 1.44
///   accept only one endpoint at create; EngineClient::createContainer connects the rest.
/// Tolerant of missing fields; never throws.
ContainerSpec specFromInspect(const nlohmann::json& inspect);

}  // namespace medic::docker
