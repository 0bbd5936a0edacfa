#pragma once
/// Pure conversions from what the engine says to what the supervisor core takes.

#include <optional>
#include <string>

#include "docker/types.h"
#include "services/selection.h"
#include "supervisor/observations.h"

namespace medic::daemon {

supervisor::ContainerView toView(const docker::ContainerInfo& info);
supervisor::ServiceDef toDef(const services::ProtectedService& s);

/// The container an event is about, as a summary (name and labels from the event's attributes),
/// so the same selection rules apply to events as to lists.
docker::ContainerSummary summaryFromEvent(const docker::Event& e);

/// Event → core event for `service`. nullopt for actions the core does not need.
std::optional<supervisor::ContainerEvent> toCoreEvent(const docker::Event& e,
                                                      const std::string& service);

}  // namespace medic::daemon
