#include "cli/local_facts.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "docker/engine_client.h"

namespace medic::cli {

Result<check::FreshFacts> gatherLocally(const GlobalOptions& /*global*/, const config::Config& cfg,
                                        bool with_endpoints) {
  boost::asio::io_context io;
  docker::EngineClient client(io.get_executor(), cfg.docker, cfg.docker_timeout,
                              cfg.docker_api_version);
  SystemClock clock;
  auto future = boost::asio::co_spawn(
      io, check::gatherFresh(client, cfg, cfg.select.all, {}, clock, with_endpoints),
      boost::asio::use_future);
  io.run();
  return future.get();
}

std::string baselinePath(const std::string& state_dir) {
  return state_dir + "/baseline.json";
}

}  // namespace medic::cli
