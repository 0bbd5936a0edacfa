#include "config/yaml_limits.h"

#include <yaml-cpp/eventhandler.h>
#include <yaml-cpp/exceptions.h>
#include <yaml-cpp/mark.h>
#include <yaml-cpp/parser.h>

#include <sstream>
#include <unordered_map>
#include <vector>

#include "config/config.h"

namespace medic::config {
namespace {

std::string where(const std::string& source, const YAML::Mark& mark) {
  if (mark.is_null()) return source;
  return source + ":" + std::to_string(mark.line + 1);
}

/// Counts depth, alias uses and the size each anchor would expand to. Throws ConfigError as soon
/// as a limit is passed, which aborts the parse before more input is read.
class LimitChecker final : public YAML::EventHandler {
 public:
  LimitChecker(const std::string& source, const YamlLimits& limits)
      : source_(source), limits_(limits) {}

  void OnDocumentStart(const YAML::Mark& mark) override {
    if (++documents_ > 1) {
      fail(mark,
           "a second YAML document starts here; medic.yaml holds exactly one (remove the "
           "'---' separator or split the file)");
    }
  }
  void OnDocumentEnd() override {}

  void OnNull(const YAML::Mark& /*mark*/, YAML::anchor_t anchor) override { leaf(anchor); }
  void OnScalar(const YAML::Mark& /*mark*/, const std::string& /*tag*/, YAML::anchor_t anchor,
                const std::string& /*value*/) override {
    leaf(anchor);
  }

  void OnAlias(const YAML::Mark& mark, YAML::anchor_t anchor) override {
    if (++aliases_ > limits_.max_aliases) {
      fail(mark, "more than " + std::to_string(limits_.max_aliases) +
                     " alias uses (*name); refusing the document as an alias bomb");
    }
    const auto it = anchor_sizes_.find(anchor);
    // An alias to an anchor still open (a recursive alias) counts as one node: yaml-cpp keeps it
    // as a reference, and the schema walk never descends into unknown structure.
    const uint64_t size = it == anchor_sizes_.end() ? 1 : it->second;
    alias_nodes_ += size;
    nodes_ += size;
    if (alias_nodes_ > limits_.max_alias_nodes) {
      fail(mark, "aliases expand to more than " + std::to_string(limits_.max_alias_nodes) +
                     " nodes; refusing the document as an alias bomb");
    }
  }

  void OnSequenceStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                       YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor);
  }
  void OnSequenceEnd() override { close(); }
  void OnMapStart(const YAML::Mark& mark, const std::string& /*tag*/, YAML::anchor_t anchor,
                  YAML::EmitterStyle::value /*style*/) override {
    open(mark, anchor);
  }
  void OnMapEnd() override { close(); }

 private:
  struct Frame {
    YAML::anchor_t anchor;
    uint64_t nodes_at_start;
  };

  [[noreturn]] void fail(const YAML::Mark& mark, const std::string& what) const {
    throw ConfigError(where(source_, mark) + ": " + what);
  }

  void leaf(YAML::anchor_t anchor) {
    ++nodes_;
    if (anchor != YAML::NullAnchor) anchor_sizes_[anchor] = 1;
  }

  void open(const YAML::Mark& mark, YAML::anchor_t anchor) {
    if (static_cast<int>(stack_.size()) >= limits_.max_depth) {
      fail(mark, "nesting deeper than " + std::to_string(limits_.max_depth) +
                     " levels; medic.yaml never needs that much");
    }
    ++nodes_;
    stack_.push_back(Frame{anchor, nodes_});
  }

  void close() {
    if (stack_.empty()) return;
    const Frame frame = stack_.back();
    stack_.pop_back();
    if (frame.anchor != YAML::NullAnchor) {
      anchor_sizes_[frame.anchor] = 1 + (nodes_ - frame.nodes_at_start);
    }
  }

  const std::string& source_;
  const YamlLimits& limits_;
  int documents_ = 0;
  int aliases_ = 0;
  uint64_t nodes_ = 0;        ///< nodes so far, aliases counted expanded
  uint64_t alias_nodes_ = 0;  ///< the part of nodes_ that aliases added
  std::vector<Frame> stack_;
  std::unordered_map<YAML::anchor_t, uint64_t> anchor_sizes_;
};

}  // namespace

void checkYamlLimits(const std::string& text, const std::string& source, const YamlLimits& limits) {
  if (text.size() > limits.max_bytes) {
    throw ConfigError(source + ": " + std::to_string(text.size()) + " bytes is over the limit of " +
                      std::to_string(limits.max_bytes) +
                      " bytes; a medic config is a few KiB (is this the right file?)");
  }
  std::istringstream in(text);
  LimitChecker checker(source, limits);
  try {
    YAML::Parser parser(in);
    while (parser.HandleNextDocument(checker)) {
    }
  } catch (const YAML::Exception& e) {
    std::string message = where(source, e.mark) + ": YAML syntax error";
    if (!e.mark.is_null()) message += " at column " + std::to_string(e.mark.column + 1);
    throw ConfigError(message + ": " + e.msg);
  }
}

}  // namespace medic::config
