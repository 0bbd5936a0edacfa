#pragma once
/// Which containers medic protects, and with what: labels (medic.enable=true and friends), config
/// entries, compose projects, or everything (--all). Pure: works on a container list.

#include <optional>
#include <string>
#include <vector>

#include "config/config.h"
#include "docker/types.h"

namespace medic::services {

/// Label names (DESIGN §5).
inline constexpr const char* kLabelEnable = "medic.enable";
inline constexpr const char* kLabelCritical = "medic.critical";
inline constexpr const char* kLabelProbeHttp = "medic.probe.http";
inline constexpr const char* kLabelProbeTcp = "medic.probe.tcp";
inline constexpr const char* kLabelDependsOn = "medic.depends_on";
inline constexpr const char* kLabelComposeService = "com.docker.compose.service";
inline constexpr const char* kLabelComposeProject = "com.docker.compose.project";
/// Compose v2: on the new container of a recreate, the id of the container it replaces.
inline constexpr const char* kLabelComposeReplace = "com.docker.compose.replace";
/// Compose v2: "db:service_healthy:false,redis:service_started:false".
inline constexpr const char* kLabelComposeDependsOn = "com.docker.compose.depends_on";
/// Compose: the replica number (1, 2, ...) of a scaled service.
inline constexpr const char* kLabelComposeNumber = "com.docker.compose.container-number";
/// The compose replica number in `labels` (kLabelComposeNumber); 0 when there is none or it is not
/// a number.
int replicaNumber(const docker::Labels& labels);
/// Overrides the name medic gives a label-selected service.
inline constexpr const char* kLabelName = "medic.name";

struct ProtectedService {
  std::string name;    ///< compose service name, else container name, else config entry name
  std::string source;  ///< "config", "label", "project", "all"
  bool critical = false;
  std::vector<config::ProbeConfig> probes;
  std::vector<std::string> depends_on;
  config::RecoveryConfig recovery;
  config::MatchConfig match;  ///< how to find its container again (set for every source)
  std::optional<docker::ContainerSummary> container;  ///< nullopt: no container exists (missing)
};

/// Containers medic renamed aside during a recreate ("<name>.medic-old-<ms>") belong to no service:
/// they are the old copy kept until the new one validates. Neither does the new copy a
/// start-first deploy runs beside the old one ("<name>.medic-next-<deploy id>") until it switches.
bool isRenamedAside(const std::string& container_name);
std::string renamedAsideName(const std::string& name, int64_t unix_ms);

/// The compose service of a container, else its name.
std::string serviceNameOf(const docker::ContainerSummary& c);

/// A name medic gave a service before (persisted with the service): the same container identity
/// keeps its name across resyncs and restarts.
struct KnownName {
  std::string name;
  config::MatchConfig match;
};

/// A service name as users write it: "db", "shop/db" (compose project/service) or "shop/db#2"
/// (replica 2). `project` is empty and `number` 0 where the name does not say.
struct NameParts {
  std::string project;
  std::string service;
  int number = 0;
};
NameParts parseServiceName(const std::string& name);

/// True when the container satisfies the match (an empty match matches by `name`).
bool matches(const config::MatchConfig& match, const std::string& name,
             const docker::ContainerSummary& c);

/// Selects protected services. Config entries come first, in file order, and win over labels for the
/// same service; a config entry with no container is still returned (container = nullopt, i.e.
/// missing). When several containers belong to one service, the running one, then the newest, wins.
/// `all` adopts every container (like --all); `medic.enable=false` always opts a container out of
/// labels, projects and --all. Result order is stable: config entries, then others by name.
///
/// Identity (DESIGN §5): a compose container is one service per (project, service, replica). Its
/// name is the compose service, or `project/service` where that is ambiguous (the same service
/// name in another project, now or in `known`), with `#N` for replica N > 1; `medic.name`
/// overrides; a container that matches a `known` name keeps it.
std::vector<ProtectedService> selectServices(const config::Config& config,
                                             const std::vector<docker::ContainerSummary>& containers,
                                             bool all, const std::vector<KnownName>& known = {});

}  // namespace medic::services
